"""The comment-form service's numbers (measured here, never as timed tests):

    .venv/bin/python -m bench.web        # about 30 seconds on 2 cores

1. ``/recent`` for a cached site as a direct WSGI call, in-process: median, per cache.
2. Requests per second through waitress (``commentluv serve`` in a second process) on
   loopback, cached sites, keep-alive connections from this process; the rate limit is
   raised so that one load generator may saturate it.
3. With the default rate limit: one client (127.0.0.1) floods 1,000 distinct uncached URLs
   (on a loopback tarpit that answers after 5 s) from a third process, while other clients
   (127.0.0.2, .3, ...; one request each) look up cached sites. Their median latency idle
   and under the flood, and what the flooding client got.
4. The widget's size, gzipped.
"""

from __future__ import annotations

import functools
import gzip
import http.client
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote
from wsgiref.util import setup_testing_defaults

import commentluv.web
from bench.cache_latency import median_microseconds
from commentluv import CommentLuv, MemoryCache
from commentluv.cache import Cache
from commentluv.cache.sqlite import SQLiteCache
from commentluv.web import make_app

FEED = (
    Path(__file__).parent.parent / "tests" / "fixtures" / "feeds" / "wordpress_rss2.xml"
).read_bytes()
SITES = 20
SECRET = os.urandom(32)


class _Sites(BaseHTTPRequestHandler):
    """``/blogN/`` links ``/blogN/feed.xml``, each answered after the server's ``latency``;
    any other path is a tarpit (5 s, then 404)."""

    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle on, a kept-alive connection stalls 40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        match = re.fullmatch(r"/(blog\d+)/(feed\.xml)?", self.path)
        if match is None:
            time.sleep(5)
            self._send(404, b"not here", "text/plain")
            return
        time.sleep(getattr(self.server, "latency", 0.0))
        if match.group(2):
            self._send(200, FEED, "application/rss+xml")
        else:
            feed = f"/{match.group(1)}/feed.xml"
            link = f'<link rel="alternate" type="application/rss+xml" href="{feed}">'
            self._send(200, f"<html><head>{link}</head></html>".encode(), "text/html")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # hundreds of lookups may connect at once

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the service hangs up on the tarpit when a lookup's deadline passes, as it should


@contextmanager
def loopback_sites(latency: float = 0.0) -> Iterator[str]:
    """Serve the blogs on 127.0.0.1, each answer ``latency`` seconds late; yields the URL."""
    server = _QuietServer(("127.0.0.1", 0), _Sites)
    server.latency = latency  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def warmed(base: str, cache: Cache) -> CommentLuv:
    luv = CommentLuv(allow_private_hosts=True, cache=cache, choice_secret=SECRET)
    results = luv.warm(f"{base}/blog{n}/" for n in range(SITES))
    assert all(result.ok for result in results.values()), results
    return luv


def in_process(base: str, folder: str) -> None:
    print("## /recent for a cached site, a direct WSGI call (median of 20,000)\n")
    print(
        "| cache | /recent | /recent, If-None-Match (304) | /backlink |\n| --- | --- | --- | --- |"
    )
    caches: dict[str, Cache] = {
        "MemoryCache": MemoryCache(),
        "SQLiteCache": SQLiteCache(Path(folder) / "inprocess.sqlite3"),
    }
    for name, cache in caches.items():
        with warmed(base, cache) as luv:
            app = make_app(luv, rate_limit=None)
            query = f"url={quote(base)}/blog3/"
            etag = call(app, "/recent", query)["etag"]
            timings = [
                median_microseconds(functools.partial(call, app, "/recent", query), 20_000),
                median_microseconds(functools.partial(call, app, "/recent", query, etag), 20_000),
                median_microseconds(functools.partial(call, app, "/backlink", query), 20_000),
            ]
        print(f"| {name} | " + " | ".join(f"{t:.0f} µs" for t in timings) + " |")
    print()


def call(app: Callable, path: str, query: str, etag: str | None = None) -> dict[str, str]:
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REMOTE_ADDR": "198.51.100.1"}
    setup_testing_defaults(environ)
    if etag:
        environ["HTTP_IF_NONE_MATCH"] = etag
    headers: dict[str, str] = {}
    b"".join(app(environ, lambda status, pairs, exc=None: headers.update(pairs)))
    return {name.lower(): value for name, value in headers.items()}


@contextmanager
def service(folder: str, *options: str) -> Iterator[int]:
    """``commentluv serve`` in its own process, on the warmed cache file; yields its port."""
    secret = Path(folder) / "secret"
    secret.write_bytes(SECRET)
    command = [sys.executable, "-m", "commentluv", "serve", "--port", "0"]
    command += ["--secret-file", str(secret), "--cache", str(Path(folder) / "cache.sqlite3")]
    process = subprocess.Popen(
        [*command, "--allow-private-hosts", *options], stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    port = re.search(r":(\d+)/", line)
    assert port, line
    threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
    try:
        yield int(port.group(1))
    finally:
        process.terminate()
        process.wait(10)


def load(port: int, base: str, seconds: float, threads: int) -> int:
    """Requests answered in ``seconds`` over ``threads`` keep-alive connections."""
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        n = 0
        while time.perf_counter() < stop:
            connection.request("GET", f"/recent?url={base}/blog{n % SITES}/")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, answer.status
            n += 1
        counts[index] = n

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sum(counts)


def through_waitress(base: str, folder: str) -> None:
    seconds, processes, threads = 5.0, 2, 8
    with (
        service(folder, "--rate", "1e9", "--burst", "1000000000") as port,
        multiprocessing.Pool(processes) as pool,
    ):
        started = time.perf_counter()
        total = sum(pool.starmap(load, [(port, base, seconds, threads)] * processes))
        rate = total / (time.perf_counter() - started)
    print(
        f"## Through waitress on loopback, cached sites (SQLite cache; {processes} load"
        f" processes x {threads} keep-alive connections)\n"
    )
    print(f"{rate:,.0f} requests/s over {seconds:g} s ({total:,} requests)\n")


def one_request(port: int, path: str, source: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
    connection.request("GET", path)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    assert answer.status == 200, (answer.status, source)
    return time.perf_counter() - started


def flood(port: int, tarpit: str, stop: Any, out: Any) -> None:
    """One client's flood of 1,000 distinct uncached URLs over 8 keep-alive connections,
    repeated until told to stop."""
    statuses: Counter[int | str] = Counter()
    lock = threading.Lock()

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        n = offset
        while not stop.is_set():
            try:
                connection.request("GET", f"/recent?url={tarpit}/u{n % 1000}/")
                answer = connection.getresponse()
                answer.read()
                status: int | str = answer.status
            except TimeoutError:
                connection.close()
                status = "no answer in 2 s"
            with lock:
                statuses[status] += 1
            n += 8

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    out.put(dict(statuses))


def under_flood(base: str, folder: str) -> None:
    samples = 1000
    with service(folder) as port:  # the default rate limit and cold-lookup cap

        def clients(first: int) -> list[float]:
            return [
                one_request(
                    port, f"/recent?url={base}/blog{n % SITES}/", f"127.0.{first}.{n % 250 + 2}"
                )
                for n in range(samples)
            ]

        idle = statistics.median(clients(1)) * 1000
        stop, out = multiprocessing.Event(), multiprocessing.Queue()
        flooder = multiprocessing.Process(target=flood, args=(port, base, stop, out))
        flooder.start()
        time.sleep(1.0)  # the cold slots fill, the flooder's bucket empties
        busy = statistics.median(clients(2)) * 1000
        stop.set()
        statuses = out.get(timeout=30)
        flooder.join()
    print("## A flood of 1,000 distinct uncached URLs from one client (default limits)\n")
    print("| other clients, cached site | median latency |\n| --- | --- |")
    print(f"| idle | {idle:.2f} ms |\n| under the flood | {busy:.2f} ms ({busy / idle:.2f}x) |\n")
    shown = ", ".join(f"{status}: {count:,}" for status, count in statuses.items())
    print(f"The flooding client's answers by status: {shown}\n")


def widget_size() -> None:
    script = (Path(commentluv.web.__file__).parent / "static" / "commentluv.js").read_bytes()
    print("## The widget\n")
    print(f"commentluv.js: {len(script):,} bytes, {len(gzip.compress(script)):,} gzipped\n")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, loopback_sites() as base:
        in_process(base, folder)
        warmed(base, SQLiteCache(Path(folder) / "cache.sqlite3")).close()
        through_waitress(base, folder)
        under_flood(base, folder)
        widget_size()


if __name__ == "__main__":
    main()
