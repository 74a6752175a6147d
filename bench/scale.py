"""Cold lookups at scale: ``python -m bench.scale`` (see bench/README.md).

10,000 distinct sites (``site1.example`` ... on one loopback server that answers by Host
header, each request held 30 ms), looked up cold four ways, each in a fresh process:

* CPU per cold lookup (page + feed), sequential, in the client process only; beside it, as a
  control, the same lookup served from memory (a MockTransport: no socket), back to back and
  after 30 ms of sleep, which shows what an idle core costs the next few milliseconds of
  work on this machine;
* CPU per cold lookup under the batch load: ``--jobs`` threads looking the sites up at once,
  each lookup's own thread CPU (its resolver thread's share is not in it);
* ``backfill`` over one comment per site (``--jobs``), sites per second and peak RSS;
* ``lookup_many`` over the same sites with as many workers, sites per second.

The server is an asyncio process of its own, so its CPU is not the client's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.connection
import os
import ssl
import subprocess
import sys
from pathlib import Path

SITES = 10_000
LATENCY = 0.030

PAGE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='UTF-8'><title>{name}</title>"
    "<meta name='generator' content='WordPress 6.6.2'>"
    "<link rel='alternate' type='application/rss+xml' title='{name} &raquo; Feed' href='/feed/'>"
    "<link rel='alternate' type='application/rss+xml' title='{name} &raquo; Comments Feed'"
    " href='/comments/feed/'><link rel='stylesheet' href='/style.css'></head><body>"
    "<header><h1>{name}</h1></header>"
    + "<article><h2>Post</h2><p>Text of a post.</p></article>" * 10
    + "</body></html>"
)
ITEM = (
    "<item><title>{name} post {i}: notes from the week</title>"
    "<link>https://{host}/2026/11/post-{i}/</link>"
    "<pubDate>{day:02d} Nov 2026 10:00:00 +0000</pubDate>"
    "<description>Text of post {i}, a few words long.</description></item>"
)


def feed(host: str) -> bytes:
    name = host.split(".")[0]
    items = "".join(ITEM.format(name=name, host=host, i=i, day=28 - i) for i in range(10))
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
        f"<title>{name}</title><link>https://{host}/</link>{items}</channel></rss>"
    ).encode()


async def answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float = LATENCY
) -> None:
    """Serve one connection's requests: a site's page at /, its feed at /feed/ (bench.tls
    serves the same over TLS)."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            host = next(
                (line[5:].strip() for line in lines if line.lower().startswith("host:")), ""
            ).split(":")[0]
            await asyncio.sleep(latency)
            if path == "/":
                body, kind = PAGE.format(name=host.split(".")[0]).encode(), "text/html"
                status = "200 OK"
            elif path == "/feed/":
                body, kind, status = feed(host), "application/rss+xml", "200 OK"
            else:
                body, kind, status = b"not found", "text/html", "404 Not Found"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}; charset=UTF-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


def _serve(ready: multiprocessing.connection.Connection) -> None:
    async def main() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0, backlog=1024)
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def start_server() -> tuple[int, multiprocessing.Process]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    return int(parent.recv()), process


CLIENT = r"""
import json, resource, statistics, sys, time
from commentluv import CommentLuv, HTTPTransport, NullCache

from concurrent.futures import ThreadPoolExecutor
from commentluv import MockResponse, MockTransport
from bench.scale import PAGE, feed

mode, port, count, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
LATENCY = float(sys.argv[5])
urls = [f"http://site{i}.example:{port}/" for i in range(count)]
loopback = lambda host, port: ["127.0.0.1"]
def client(workers=8):
    return CommentLuv(allow_private_hosts=True, cache=NullCache(), max_workers=workers,
                      transport=HTTPTransport(resolver=loopback))
out = {}
if mode == "cpu":
    with client() as luv:
        luv.latest(f"http://warm.example:{port}/")  # imports and first-use costs
        cpu = []
        for url in urls:
            started = time.process_time()
            luv.latest(url)
            cpu.append(time.process_time() - started)
    out["cpu_ms_median"] = statistics.median(cpu) * 1000
    out["cpu_ms_p90"] = statistics.quantiles(cpu, n=10)[-1] * 1000
    def answer(request):
        host = request.url.split("/")[2].split(":")[0]
        if request.url.endswith("/feed/"):
            return MockResponse(headers={"Content-Type": "application/rss+xml"}, body=feed(host))
        return MockResponse(headers={"Content-Type": "text/html"}, body=PAGE.format(name=host))
    memory = CommentLuv(cache=NullCache(), transport=MockTransport(answer))
    for pause in (0.0, LATENCY):
        cpu = []
        for i in range(min(count, 300)):
            time.sleep(pause)
            started = time.process_time()
            memory.latest(f"http://memory{i}.example/")
            cpu.append(time.process_time() - started)
        out[f"memory_ms_after_{pause * 1000:.0f}"] = statistics.median(cpu) * 1000
elif mode == "cpu_loaded":
    def timed(url):
        started = time.thread_time()
        luv.latest(url)
        return time.thread_time() - started
    with client(workers=jobs) as luv, ThreadPoolExecutor(jobs) as pool:
        cpu = list(pool.map(timed, urls))
    out["cpu_ms_median"] = statistics.median(cpu) * 1000
    out["cpu_ms_p90"] = statistics.quantiles(cpu, n=10)[-1] * 1000
elif mode == "backfill":
    from commentluv.backfill import Comment, backfill
    comments = [Comment(id=str(i), author=f"a{i}", url=url) for i, url in enumerate(urls)]
    with client() as luv:
        started, cpu = time.monotonic(), time.process_time()
        with backfill(comments, luv, jobs=jobs) as run:
            ok = sum(result.outcome == "ok" for result in run)
        out["seconds"] = time.monotonic() - started
        out["cpu_ms_per_site"] = (time.process_time() - cpu) / count * 1000
    out["ok"] = ok
elif mode == "lookup_many":
    with client(workers=jobs) as luv:
        started, cpu = time.monotonic(), time.process_time()
        found = luv.lookup_many(urls)
        out["seconds"] = time.monotonic() - started
        out["cpu_ms_per_site"] = (time.process_time() - cpu) / count * 1000
    out["ok"] = sum(not isinstance(value, Exception) for value in found.values())
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["sites_per_second"] = count / out["seconds"] if "seconds" in out else None
print(json.dumps(out))
"""


def run_client(
    mode: str, port: int, count: int, jobs: int, *, tree: Path | None = None
) -> dict[str, float]:
    """CLIENT in a fresh process whose ``commentluv`` is ``tree``'s (default: this one)."""
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, mode, str(port), str(count), str(jobs), str(LATENCY)],
        cwd=tree or Path(__file__).resolve().parent.parent,  # where ``bench`` is importable
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=SITES)
    parser.add_argument("--jobs", type=int, default=32)
    parser.add_argument("--cpu-sample", type=int, default=500, help="lookups timed for CPU")
    args = parser.parse_args(argv)
    port, server = start_server()
    try:
        cpu = run_client("cpu", port, args.cpu_sample, 1)
        loaded = run_client("cpu_loaded", port, min(args.sites, 3000), args.jobs)
        filled = run_client("backfill", port, args.sites, args.jobs)
        many = run_client("lookup_many", port, args.sites, args.jobs)
    finally:
        server.terminate()
    print(
        f"{os.cpu_count()} CPUs, {args.sites} distinct sites, {LATENCY * 1000:.0f} ms a request\n"
    )
    rows = [
        ("CPU per cold lookup, median (p90)",
         f"{cpu['cpu_ms_median']:.2f} ms ({cpu['cpu_ms_p90']:.2f})", "3 ms"),
        ("the same lookup from memory, back to back / after 30 ms idle",
         f"{cpu['memory_ms_after_0']:.2f} ms / {cpu['memory_ms_after_30']:.2f} ms", ""),
        (f"CPU per cold lookup under load ({args.jobs} threads), median (p90)",
         f"{loaded['cpu_ms_median']:.2f} ms ({loaded['cpu_ms_p90']:.2f})", "3 ms"),
        (f"backfill, --jobs {args.jobs}",
         f"{filled['sites_per_second']:.0f} sites/s, {filled['ok']} ok", "250 sites/s"),
        ("backfill peak RSS", f"{filled['peak_rss_mb']:.0f} MB", "300 MB"),
        ("client CPU per site during backfill (all threads)",
         f"{filled['cpu_ms_per_site']:.2f} ms", ""),
        (f"lookup_many, {args.jobs} workers",
         f"{many['sites_per_second']:.0f} sites/s, {many['ok']} ok", ""),
        ("client CPU per site during lookup_many", f"{many['cpu_ms_per_site']:.2f} ms", ""),
        ("backfill / lookup_many rate",
         f"{filled['sites_per_second'] / many['sites_per_second']:.2f}x", "within 1.2x"),
    ]  # fmt: skip
    print("| figure | value | floor |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
