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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cache_latency import median_microseconds
from bench.web import loopback_sites
from commentluv import AsyncCommentLuv, CommentLuv

EXAMPLES = Path(__file__).parent.parent / "examples"
LATENCY = 0.030
COLD_SITES = 200


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
        with loopback_sites(LATENCY) as base:
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


def django_post_cost(base: str, *, atomic: bool) -> None:
    sys.path.insert(0, str(EXAMPLES))
    import django_blog
    from django.test import Client
    from django_comments.signals import comment_was_posted, comment_will_be_posted

    from commentluv.integrations.django import conf
    from commentluv.integrations.django.receivers import pick_backlink, store_backlink

    with tempfile.TemporaryDirectory() as folder:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path(folder) / "db")}
        django_blog.configure("", DATABASES={"default": {**database, "ATOMIC_REQUESTS": atomic}})
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
    mode = "ATOMIC_REQUESTS" if atomic else "autocommit"
    print(
        f"Django comment POST ({mode}), site cached: median {with_app:.2f} ms with the app,"
        f" {without:.2f} ms without (+{with_app - without:.2f} ms)"
    )
    deadline = conf.Settings().timeout
    print(
        f"Django comment POST, site never answers: median {statistics.median(tarpit):.0f} ms"
        f" (deadline {deadline * 1000:.0f} ms)"
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["--django"]:  # Django is configured once per process: one run each
        with loopback_sites() as base:
            django_post_cost(base, atomic=argv[1:] == ["atomic"])
        return
    with loopback_sites() as base:
        cached_latest(base)
    cold_lookups()
    for mode in ("autocommit", "atomic"):
        subprocess.run([sys.executable, "-m", "bench.integrations", "--django", mode], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
