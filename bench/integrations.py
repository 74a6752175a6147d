"""The integrations' numbers (measured here, never as timed tests):

    .venv/bin/python -m bench.integrations        # about 30 seconds on 2 cores

1. AsyncCommentLuv: the median of a cached ``await luv.latest(url)`` (memory cache), beside
   the sync client's ``latest`` on the same cache.
2. 200 concurrent cold lookups of 200 distinct loopback blogs, each request delayed 30 ms by
   the server: the wall time of ``asyncio.gather`` over ``AsyncCommentLuv.lookup`` against
   the sync ``lookup_many`` (its default 8 workers, and as many as the async pool's 32).
3. The Django app's cost per comment POST (Django's test client, django-contrib-comments,
   SQLite): the median POST with the app's receivers against the same POST with them
   disconnected, for a commenter whose site is cached; and the POST for a site that never
   answers (a tarpit) with the default 2 s deadline.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.cache_latency import median_microseconds
from commentluv import AsyncCommentLuv, CommentLuv

EXAMPLES = Path(__file__).parent.parent / "examples"
FEED = (
    Path(__file__).parent.parent / "tests" / "fixtures" / "feeds" / "wordpress_rss2.xml"
).read_bytes()
LATENCY = 0.030
COLD_SITES = 200


class _Blogs(BaseHTTPRequestHandler):
    """``/blogN/`` links ``/blogN/feed.xml``, each answer after ``server.latency`` seconds;
    any other path is a tarpit (10 s, then 404)."""

    def do_GET(self) -> None:
        match = re.fullmatch(r"/(blog\d+)/(feed\.xml)?", self.path)
        if match is None:
            time.sleep(10)
            self._send(404, b"not here", "text/plain")
            return
        time.sleep(getattr(self.server, "latency", 0.0))
        if match.group(2):
            self._send(200, FEED, "application/rss+xml")
        else:
            link = f'<link rel="alternate" type="application/rss+xml" href="/{match[1]}/feed.xml">'
            self._send(200, f"<html><head>{link}</head></html>".encode(), "text/html")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a lookup whose deadline passed hangs up on the tarpit, as it should


@contextmanager
def blogs(latency: float = 0.0) -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Blogs)
    server.latency = latency  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def cached_latest(base: str) -> None:
    url = f"{base}/blog0/"
    luv = AsyncCommentLuv(allow_private_hosts=True)

    async def timings(samples: int) -> float:
        await luv.latest(url)
        found = []
        for _ in range(samples):
            started = time.perf_counter_ns()
            await luv.latest(url)
            found.append(time.perf_counter_ns() - started)
        await luv.aclose()
        return statistics.median(found) / 1000

    async_median = asyncio.run(timings(20_000))
    sync = CommentLuv(allow_private_hosts=True)
    sync.latest(url)
    sync_median = median_microseconds(lambda: sync.latest(url), 20_000)
    sync.close()
    print(f"cached await latest(): median {async_median:.1f} µs", end=" ")
    print(f"(sync latest(): {sync_median:.1f} µs)")


def cold_lookups() -> None:
    def timed(run: Callable[[list[str]], int]) -> tuple[float, int]:
        with blogs(LATENCY) as base:
            urls = [f"{base}/blog{n}/" for n in range(COLD_SITES)]
            started = time.perf_counter()
            found = run(urls)
            return time.perf_counter() - started, found

    def via_async(urls: list[str]) -> int:
        async def main() -> int:
            async with AsyncCommentLuv(allow_private_hosts=True) as luv:
                results = await asyncio.gather(*(luv.lookup(url) for url in urls))
            return sum(result.ok for result in results)

        return asyncio.run(main())

    def via_sync(workers: int) -> Callable[[list[str]], int]:
        def run(urls: list[str]) -> int:
            with CommentLuv(allow_private_hosts=True, max_workers=workers) as luv:
                results = luv.lookup_many(urls)
            return sum(not isinstance(found, Exception) for found in results.values())

        return run

    print(f"{COLD_SITES} concurrent cold lookups, {LATENCY * 1000:.0f} ms per request:")
    for name, run in (
        ("AsyncCommentLuv (pool of 32)", via_async),
        ("sync lookup_many (8 workers)", via_sync(8)),
        ("sync lookup_many (32 workers)", via_sync(32)),
    ):
        seconds, ok = timed(run)
        print(f"  {name:30} {seconds:6.2f} s wall, {ok}/{COLD_SITES} found")


def django_post_cost(base: str) -> None:
    sys.path.insert(0, str(EXAMPLES))
    import django_blog
    from django.test import Client
    from django_comments.signals import comment_was_posted, comment_will_be_posted

    from commentluv.integrations.django import conf
    from commentluv.integrations.django.receivers import pick_backlink, store_backlink

    with tempfile.TemporaryDirectory() as folder:
        django_blog.configure(str(Path(folder) / "db.sqlite3"))
        django_blog.migrate()
        client = Client()
        counter = iter(range(10**9))

        def post(url: str) -> Callable[[], object]:
            # Distinct texts: django-contrib-comments folds identical comments into one.
            def once() -> Any:
                fields = {"name": "Bench", "url": url, "comment": f"c{next(counter)}"}
                answer = client.post("/comments/post/", django_blog.comment_form(**fields))
                assert answer.status_code == 302, answer.content[:300]
                return answer

            return once

        cached = f"{base}/blog1/"
        conf.client().latest(cached)
        post(cached)()
        # Interleaved, so that a slower moment (or a larger table) costs both sides alike.
        timings: dict[bool, list[float]] = {True: [], False: []}
        for n in range(600):
            with_app = n % 2 == 0
            if not with_app:
                comment_will_be_posted.disconnect(pick_backlink, dispatch_uid="commentluv.pick")
                comment_was_posted.disconnect(store_backlink, dispatch_uid="commentluv.store")
            timings[with_app].append(median_microseconds(post(cached), 1) / 1000)
            comment_will_be_posted.connect(pick_backlink, dispatch_uid="commentluv.pick")
            comment_was_posted.connect(store_backlink, dispatch_uid="commentluv.store")
        with_app, without = (statistics.median(timings[key]) for key in (True, False))
        tarpit = [
            median_microseconds(post(f"{base}/slow{n}/"), 1) / 1000 for n in range(3)
        ]  # a new site each: a failure is remembered
    print(
        f"Django comment POST, site cached: median {with_app:.2f} ms with the app,"
        f" {without:.2f} ms without (+{with_app - without:.2f} ms)"
    )
    deadline = conf.Settings().timeout
    print(
        f"Django comment POST, site never answers: median {statistics.median(tarpit):.0f} ms"
        f" (deadline {deadline * 1000:.0f} ms)"
    )


def main() -> None:
    with blogs() as base:
        cached_latest(base)
    cold_lookups()
    with blogs() as base:
        django_post_cost(base)


if __name__ == "__main__":
    main()
