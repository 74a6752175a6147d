"""Run the benchmark: ``python -m bench`` (see bench/README.md). Prints markdown tables.

Everything runs against the loopback corpus (bench/corpus.py); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from . import corpus
from .corpus import Site, base, control
from .tools import Lookup, tools

LATENCIES = (0, 30)
CONCURRENCY = 8


@dataclass
class Run:
    correct: list[bool] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    corpus_wall: float = 0.0
    corpus_correct: int = 0
    failures: list[str] = field(default_factory=list)


def same_feed(site: Site, found: str) -> bool:
    got = urlsplit(found)
    for path in (site.feed_path, *site.also):
        want = urlsplit(base(site) + path)
        if _identity(want) == _identity(got):
            return True
    return False


def _identity(url: SplitResult) -> tuple[int | None, str, str]:
    return url.port, url.path.rstrip("/"), url.query


def check(site: Site, lookup: Lookup) -> tuple[bool, str]:
    try:
        feed_url, title = lookup(base(site) + site.start)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {str(exc)[:80]}"
    ok = same_feed(site, feed_url) and " ".join(title.split()) == site.title
    return ok, "" if ok else f"got {feed_url} / {title[:40]!r}"


def sequential(sites: list[Site], lookup: Lookup, run: Run) -> None:
    for site in sites:
        control(site, "/__reset__")
        wall, cpu = time.perf_counter(), time.process_time()
        ok, why = check(site, lookup)
        run.wall.append(time.perf_counter() - wall)
        run.cpu.append(time.process_time() - cpu)
        stats = control(site, "/__stats__")
        run.correct.append(ok)
        run.requests.append(stats["requests"])
        run.bytes.append(stats["bytes"])
        if not ok:
            run.failures.append(f"{site.name}: {why}")


def whole_corpus(sites: list[Site], lookup: Lookup, run: Run) -> None:
    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda site: check(site, lookup)[0], sites))
    run.corpus_wall = time.perf_counter() - start
    run.corpus_correct = sum(results)


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def figures(run: Run) -> dict[str, float]:
    n = len(run.correct)
    return {
        "correct %": 100 * sum(run.correct) / n,
        "req mean": statistics.mean(run.requests),
        "req max": max(run.requests),
        "KB sent mean": statistics.mean(run.bytes) / 1024,
        "wall median ms": 1000 * statistics.median(run.wall),
        "wall p95 ms": 1000 * p95(run.wall),
        "CPU mean ms": 1000 * statistics.mean(run.cpu),
        "CPU median ms": 1000 * statistics.median(run.cpu),
        "corpus wall s (x8)": run.corpus_wall,
        "corpus correct %": 100 * run.corpus_correct / n,
    }


HIGHER_IS_BETTER = ("correct %", "corpus correct %")


def table(results: dict[str, dict[str, float]]) -> str:
    names = list(results)
    metrics = list(next(iter(results.values())))
    peers = [name for name in names if name != "commentluv"]
    header = ["metric", *names, *(f"{p.split('+')[0]} / commentluv" for p in peers)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for metric in metrics:
        row = [metric, *(f"{results[name][metric]:.1f}" for name in names)]
        for peer in peers:
            ours, theirs = results["commentluv"][metric], results[peer][metric]
            row.append(f"{theirs / ours:.1f}x" if metric not in HIGHER_IS_BETTER and ours else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


# commentluv-only figures


def by_name(sites: list[Site], name: str) -> Site:
    return next(site for site in sites if site.name == name)


def cache_and_revalidation(sites: list[Site]) -> dict[str, Any]:
    from commentluv import CommentLuv

    site = by_name(sites, "wp0")
    url = base(site) + "/"
    now = [1_800_000_000.0]
    luv = CommentLuv(allow_private_hosts=True, clock=lambda: now[0])
    control(site, "/__reset__")
    luv.latest(url)
    first = control(site, "/__reset__")
    timings = []
    for _ in range(20_000):
        start = time.perf_counter_ns()
        luv.latest(url)
        timings.append(time.perf_counter_ns() - start)
    hit = control(site, "/__reset__")
    # Past the posts' freshness: the next lookup revalidates the cached feed (ETag → 304).
    now[0] += luv.freshness.posts_ttl + 1
    refresh = getattr(luv, "refresh", None)  # forces the fetch even if stale posts may be served
    (refresh or luv.latest)(url)
    luv.close()
    again = control(site, "/__stats__")
    guess = by_name(sites, "guess-plain")
    control(guess, "/__reset__")
    with CommentLuv(allow_private_hosts=True) as cold:
        cold.latest(base(guess) + "/")
    guessed = control(guess, "/__stats__")
    return {
        "first lookup requests (head link)": f"{first['requests']} {first['paths']}",
        "cached lookup requests": hit["requests"],
        "cache-hit latest() median µs": f"{statistics.median(timings) / 1000:.2f}",
        "cache-hit latest() p95 µs": f"{p95([float(t) for t in timings]) / 1000:.2f}",
        "revalidation requests / body bytes": f"{again['requests']} / {again['bytes']}",
        "guessing site requests": f"{guessed['requests']} {guessed['paths']}",
    }


def issue_12_requests(sites: list[Site]) -> dict[str, Any]:
    """Requests of a cold lookup of each shape issue 12 added, with the paths asked."""
    from commentluv import CommentLuv

    figures = {}
    for site in corpus.issue_12_sites():
        served = by_name(sites, site.name)
        control(served, "/__reset__")
        with CommentLuv(allow_private_hosts=True) as luv:
            luv.latest(base(served) + served.start)
        stats = control(served, "/__stats__")
        figures[f"{site.name} requests ({site.notes})"] = f"{stats['requests']} {stats['paths']}"
    return figures


def bytes_read(sites: list[Site]) -> dict[str, Any]:
    """Body bytes commentluv itself read (the servers' counts include what the kernel
    buffered for a client that had already stopped reading)."""
    from commentluv import CommentLuv
    from commentluv._net.fetcher import Fetcher

    read: list[int] = []
    original = Fetcher.get

    def spy(self: Fetcher, url: str, **kwargs: Any) -> Any:
        response = original(self, url, **kwargs)
        read.append(len(response.body))
        return response

    def lookup(site: Site) -> list[int]:
        read.clear()
        with CommentLuv(allow_private_hosts=True) as luv:
            luv.latest(base(site) + site.start)
        return list(read)

    Fetcher.get = spy  # type: ignore[method-assign]
    try:
        per_site = {site.name: lookup(site) for site in sites}
    finally:
        Fetcher.get = original  # type: ignore[method-assign]
    return {
        "KB read per lookup, mean (client side)": round(
            statistics.mean(sum(sizes) for sizes in per_site.values()) / 1024, 1
        ),
        "5 MB homepage: page bytes read": per_site["big-home"][0],
        "2 MB feed site: feed bytes read": per_site["big-feed"][-1],
    }


def fast_feed(sites: list[Site]) -> dict[str, Any]:
    """The fast path alone on the 2 MB feed, fed as it would arrive (16 KB chunks)."""
    import io

    import feedparser

    from commentluv._feeds import FeedReader

    body = by_name(sites, "big-feed").routes["/feed/"].body
    feed_url, site_url = "https://big-feed.example/feed/", "https://big-feed.example/"

    def fast() -> FeedReader:
        reader = FeedReader(feed_url=feed_url, site_url=site_url, limit=1)
        for start in range(0, len(body), 16 * 1024):
            reader.feed(body[start : start + 16 * 1024])
            if reader.done:
                break
        return reader

    reader = fast()
    start = time.process_time()
    for _ in range(100):
        fast()
    fast_cpu = (time.process_time() - start) / 100
    start = time.process_time()
    parsed = feedparser.parse(io.BytesIO(body))
    slow_cpu = time.process_time() - start
    same = reader.result is not None and reader.result[0].title == parsed.entries[0].title
    return {
        "feed size KB": len(body) // 1024,
        "items": len(parsed.entries),
        "bytes read by the fast path KB": reader.bytes_read // 1024,
        "fast path CPU ms": f"{fast_cpu * 1000:.2f}",
        "feedparser.parse CPU ms": f"{slow_cpu * 1000:.0f}",
        "CPU ratio": f"{slow_cpu / fast_cpu:.0f}x",
        "same newest post": same,
    }


def cli_median_ms(arguments: list[str], runs: int = 15) -> float:
    exe = Path(sys.executable).with_name("commentluv")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "commentluv"]
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*command, *arguments], check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return 1000 * statistics.median(timings)


def cli_figures(sites: list[Site]) -> dict[str, str]:
    """Start-up, and a lookup answered from the persistent cache (filled by a first run)."""
    with tempfile.TemporaryDirectory() as folder:
        lookup = [
            "--allow-private-hosts",
            "--cache",
            str(Path(folder) / "cache.sqlite3"),
            base(by_name(sites, "wp0")) + "/",
        ]
        cli_median_ms(lookup, runs=1)
        return {
            "`commentluv --help` median ms": f"{cli_median_ms(['--help']):.0f}",
            "CLI lookup from the persistent cache, median ms": f"{cli_median_ms(lookup):.0f}",
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help="run only tools whose name contains this")
    args = parser.parse_args(argv)
    sites, process = corpus.start()
    try:
        chosen = {name: fn for name, fn in tools().items() if not args.only or args.only in name}
        print(f"corpus: {len(sites)} sites on 127.0.0.1; concurrency {CONCURRENCY}\n")
        for latency in LATENCIES:
            corpus.set_latency(sites, latency)
            results = {}
            for name, lookup in chosen.items():
                run = Run()
                sequential(sites, lookup, run)
                whole_corpus(sites, lookup, run)
                results[name] = figures(run)
                if run.failures:
                    print(f"<!-- {name} @ {latency} ms misses: {'; '.join(run.failures)} -->")
            print(f"\n### {latency} ms injected latency per request\n")
            print(table(results))
        corpus.set_latency(sites, 0)
        print("\n### commentluv targets\n")
        extra = {
            **cache_and_revalidation(sites),
            **issue_12_requests(sites),
            **bytes_read(sites),
            **{f"2 MB feed: {k}": v for k, v in fast_feed(sites).items()},
            **cli_figures(sites),
        }
        print("| figure | value |\n|---|---|")
        for key, value in extra.items():
            print(f"| {key} | {value} |")
    finally:
        process.terminate()
