"""AsyncCommentLuv: the sync client's answers as coroutines, cache hits on the loop, lookups in
its own bounded pool, and cancellation that leaves no socket past the deadline."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from commentluv import AsyncCommentLuv, CommentLuv, FeedNotFound, MemoryCache
from commentluv.cache.sqlite import SQLiteCache

JADEN = "https://jaden.example/"


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_names_and_answers_are_the_sync_clients(blog):
    async def main():
        async with AsyncCommentLuv(CommentLuv(transport=blog.web.transport)) as luv:
            post = await luv.latest(JADEN)
            recent = await luv.recent(JADEN, 3)
            line = await luv.backlink("Jaden", JADEN)
            cached = await luv.cached_latest(JADEN)
            result = await luv.lookup(JADEN, 2)
            many = await luv.lookup_many([JADEN, "https://gone.example/"])
            return post, recent, line, cached, result, many

    post, recent, line, cached, result, many = run(main())
    assert post.title == "Post 9" and [p.title for p in recent] == ["Post 9", "Post 8", "Post 7"]
    assert line == ".-= Jaden's last blog ..Post 9 =-."
    assert cached == post and result.cached and len(result.posts) == 2
    assert many[JADEN] == post and many["https://gone.example/"].kind == "unreachable"


def test_errors_raise_or_come_back_as_the_sync_client_does(web):
    web.get(JADEN, "<html><head></head><body>no feed</body></html>")

    async def main():
        luv = AsyncCommentLuv(CommentLuv(transport=web.transport, max_candidates=1))
        with pytest.raises(FeedNotFound):
            await luv.latest(JADEN)
        assert (await luv.lookup("javascript:alert(1)")).error.kind == "invalid_url"
        assert await luv.backlink("Jaden", JADEN) is None
        assert await luv.cached_latest("not a url") is None
        with pytest.raises(ValueError, match="format"):
            await luv.backlink("Jaden", JADEN, fmt="rtf")  # type: ignore[arg-type]
        await luv.aclose()

    run(main())


def test_a_memory_cache_hit_touches_no_thread_and_no_executor(blog, monkeypatch):
    async def main():
        client = CommentLuv(transport=blog.web.transport, choice_secret=b"s" * 32)
        luv = AsyncCommentLuv(client)
        await luv.latest(JADEN)  # fills the cache through the pool
        threads = threading.active_count()

        def refuse(*args, **kwargs):
            raise AssertionError("a cache hit used a thread")

        monkeypatch.setattr(ThreadPoolExecutor, "submit", refuse)
        monkeypatch.setattr(asyncio.get_running_loop(), "run_in_executor", refuse)
        post = await luv.latest(JADEN)
        check = await luv.verify_choice(JADEN, blog.link("Post 8"), _token(luv.client, blog))
        assert await luv.cached_latest(JADEN) == post and check.ok
        assert threading.active_count() == threads
        monkeypatch.undo()
        await luv.aclose()

    run(main())


def _token(client: CommentLuv, blog) -> str:
    from commentluv.web import make_app
    from tests.support.wsgi import call_wsgi

    answer = call_wsgi(make_app(client), "/recent", {"url": JADEN})
    return answer.json["choice_token"]


def test_verify_choice_checks_as_the_sync_client_does(blog):
    async def main():
        client = CommentLuv(transport=blog.web.transport, choice_secret=b"s" * 32)
        luv = AsyncCommentLuv(client)
        token = _token(client, blog)
        good = await luv.verify_choice(JADEN, blog.link("Post 7"), token)
        forged = await luv.verify_choice(JADEN, "https://spam.example/", token)
        unsigned = await luv.verify_choice(JADEN, blog.link("Post 9"))
        await luv.aclose()
        return good, forged, unsigned

    good, forged, unsigned = run(main())
    assert good.ok and good.post.title == "Post 7"
    assert forged.reason == "not_offered" and unsigned.ok


def test_other_backends_read_the_cache_in_the_pool(blog, tmp_path):
    async def main():
        client = CommentLuv(transport=blog.web.transport, cache=SQLiteCache(tmp_path / "c.db"))
        async with AsyncCommentLuv(client) as luv:
            await luv.latest(JADEN)
            names = []
            original = client.lookup_if_cached

            def spy(*args):
                names.append(threading.current_thread().name)
                return original(*args)

            client.lookup_if_cached = spy  # type: ignore[method-assign]
            await luv.latest(JADEN)
            return names

    assert [name.startswith("commentluv-async") for name in run(main())] == [True]


def test_a_lookup_waiting_for_a_worker_spends_its_own_deadline(site):
    for path in ("/a", "/a/", "/b", "/b/"):
        site.add(path, "<html><head></head></html>", drip_delay=0.05, drip=1)

    async def main():
        client = CommentLuv(allow_private_hosts=True, timeout=0.6, cache=MemoryCache())
        async with AsyncCommentLuv(client, max_concurrency=1) as luv:
            started = time.monotonic()
            first, second = await asyncio.gather(
                luv.lookup(site.url + "/a"), luv.lookup(site.url + "/b")
            )
            return first, second, time.monotonic() - started

    first, second, elapsed = run(main())
    assert first.error.kind == "timeout" and second.error.kind == "timeout"
    assert elapsed < 1.0  # not two deadlines one after the other


def test_cancelling_leaves_no_socket_past_the_deadline(site):
    """The awaiting task is cancelled while its lookup reads a slow-drip page: the await
    returns at once, the queued lookup never starts, and the running one's socket is shut by
    its deadline (the server sees its writes fail)."""
    closed: list[float] = []

    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        try:
            for _ in range(200):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.02)
        except OSError:
            closed.append(time.monotonic())

    site.add("/", handler=drip)
    deadline = 1.0

    async def main():
        client = CommentLuv(allow_private_hosts=True, timeout=deadline)
        luv = AsyncCommentLuv(client, max_concurrency=1)
        started = time.monotonic()
        running = asyncio.create_task(luv.latest(site.url + "/"))
        queued = asyncio.create_task(luv.latest(site.url + "/queued/"))
        await asyncio.sleep(0.3)
        running.cancel()
        queued.cancel()
        for task in (running, queued):
            with pytest.raises(asyncio.CancelledError):
                await task
        returned = time.monotonic() - started
        await luv.aclose()
        for _ in range(50):  # the server notices on its next write
            if closed:
                break
            await asyncio.sleep(0.02)
        return started, returned

    started, returned = run(main())
    assert returned < 0.5
    assert site.paths() == ["/"]  # the queued lookup never started
    assert len(closed) == 1 and closed[0] - started < deadline + 0.5


def test_options_build_a_client_and_bad_ones_are_refused():
    with pytest.raises(TypeError, match="beside it"):
        AsyncCommentLuv(CommentLuv(), timeout=2)
    with pytest.raises(ValueError, match="max_concurrency"):
        AsyncCommentLuv(max_concurrency=0)
    luv = AsyncCommentLuv(timeout=2.5)
    assert luv.client.timeout == 2.5 and "AsyncCommentLuv(CommentLuv(" in repr(luv)
    run(luv.aclose())
