"""Median latency of ``latest()`` on a cached site, per cache backend.

    python bench/cache_latency.py

Serves a small blog on 127.0.0.1, looks it up once per backend to fill the cache,
then times single cache-hit calls. Redis is a throwaway redis-server on a free port (skipped
when there is no redis-server binary); Django uses its locmem backend.
"""

from __future__ import annotations

import functools
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from commentluv import CommentLuv
from commentluv.cache import Cache, MemoryCache
from commentluv.cache.django import DjangoCache
from commentluv.cache.sqlite import SQLiteCache

FEED = (
    Path(__file__).parent.parent / "tests" / "fixtures" / "feeds" / "wordpress_rss2.xml"
).read_bytes()
HOME = b"<html><head><link rel='alternate' type='application/rss+xml' href='/feed/'></head></html>"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def median_microseconds(call: Callable[[], object], samples: int) -> float:
    timings = []
    for _ in range(samples):
        started = time.perf_counter_ns()
        call()
        timings.append(time.perf_counter_ns() - started)
    return statistics.median(timings) / 1000


@contextmanager
def redis_url(folder: str) -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    server = subprocess.Popen(
        [*command, "--appendonly", "no", "--dir", folder], stdout=subprocess.DEVNULL
    )
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    from django.conf import settings

    settings.configure(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    with tempfile.TemporaryDirectory() as folder, redis_url(folder) as redis:
        # The site: "/" links "/feed/", served as static files (the client sniffs the feed).
        (Path(folder) / "feed").mkdir()
        (Path(folder) / "index.html").write_bytes(HOME)
        (Path(folder) / "feed" / "index.html").write_bytes(FEED)
        handler = functools.partial(QuietHandler, directory=folder)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        backends: dict[str, Cache] = {
            "memory": MemoryCache(),
            "sqlite": SQLiteCache(Path(folder) / "cache.sqlite3"),
            "django-locmem": DjangoCache(),
        }
        if redis is not None:
            from commentluv.cache.redis import RedisCache

            backends["redis"] = RedisCache(redis)
        for name, cache in backends.items():
            with CommentLuv(allow_private_hosts=True, cache=cache) as luv:
                luv.latest(url)
                samples = 20_000 if name == "memory" else 2_000
                median = median_microseconds(lambda: luv.latest(url), samples)
            print(f"{name:14} latest() cache hit: median {median:7.1f} µs ({samples} calls)")
        if redis is None:
            print("redis          skipped: no redis-server binary")
        server.shutdown()


if __name__ == "__main__":
    main()
