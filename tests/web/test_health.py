"""/healthz and /readyz: cheap, never rate-limited, and /readyz says why the cache is not ready."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from commentluv import CommentLuv, MemoryCache, NullCache
from commentluv.web import RateLimit, make_app

SECRET = "a secret of at least sixteen bytes"


def app_with(cache, **options):
    client = CommentLuv(cache=cache, choice_secret=SECRET)
    return make_app(client, rate_limit=RateLimit(per_second=0.001, burst=1), **options)


def test_healthz_and_readyz_answer_and_are_never_rate_limited(wsgi, caplog):
    app = app_with(MemoryCache())
    with caplog.at_level(logging.DEBUG, "commentluv"):
        for _ in range(5):
            for path in ("/healthz", "/readyz"):
                answer = wsgi(app, path)
                assert (answer.status, answer.json) == (200, {"ok": True}), path
                assert answer.headers["cache-control"] == "no-store"
    assert caplog.records == []  # not logged per request
    assert wsgi(app, "/recent").status == 400  # the bucket of one is still full
    assert wsgi(app, "/recent").status == 429


def test_without_a_cache_the_service_is_ready(wsgi):
    assert wsgi(app_with(NullCache()), "/readyz").status == 200


def test_readyz_is_503_with_the_reason_while_redis_is_down(wsgi):
    pytest.importorskip("redis")  # the redis extra's client (the core suite runs without it)
    from commentluv.cache.redis import RedisCache

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = RedisCache(f"redis://127.0.0.1:{port}/0")
    answer = wsgi(app_with(cache), "/readyz")
    assert answer.status == 503
    assert answer.json["ok"] is False and answer.json["error"]["kind"] == "not_ready"
    assert "cache" in answer.json["error"]["message"]
    assert wsgi(app_with(cache), "/healthz").status == 200  # the process itself is up


def test_readyz_follows_redis_going_down(doomed_redis, wsgi):
    pytest.importorskip("redis")  # the redis extra's client (the core suite runs without it)
    from commentluv.cache.redis import RedisCache

    app = app_with(RedisCache(doomed_redis.url, retry_after=0.0))
    assert wsgi(app, "/readyz").status == 200
    doomed_redis.stop()
    time.sleep(1.1)  # an answer is kept for a second
    answer = wsgi(app, "/readyz")
    assert (answer.status, answer.json["error"]["kind"]) == (503, "not_ready")


def test_a_flood_of_readyz_probes_the_cache_once_a_second(wsgi):
    class Counting(MemoryCache):
        sets = 0

        def set(self, key, value, ttl):
            Counting.sets += 1
            super().set(key, value, ttl)

    app = app_with(Counting())
    for _ in range(100):
        assert wsgi(app, "/readyz").status == 200
    assert Counting.sets == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_answers_head_too(wsgi, path):
    answer = wsgi(app_with(MemoryCache()), path, method="HEAD")
    assert answer.status == 200 and answer.body == b""
