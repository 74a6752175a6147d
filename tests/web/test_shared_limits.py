"""Rate limits shared through Redis: with a RedisCache, every process draws a client's
requests from one bucket there (a real redis-server), and a Redis that is down leaves each
process its own limit rather than none."""

from __future__ import annotations

import pytest

pytest.importorskip("redis")

from commentluv.cache.redis import RedisCache
from commentluv.web.ratelimit import RateLimit, SharedRateLimiter


@pytest.fixture
def cache(redis_server, request):
    cache = RedisCache(redis_server.url, prefix=f"{request.node.name}:")
    yield cache
    cache.close()


def test_two_limiters_on_one_redis_draw_from_one_bucket(cache):
    limit = RateLimit(per_second=0.01, burst=4)
    first, second = SharedRateLimiter(limit, cache), SharedRateLimiter(limit, cache)
    answers = [limiter.take("198.51.100.7") for limiter in (first, second) * 3]
    assert answers[:4] == [0, 0, 0, 0]
    assert all(wait > 90 for wait in answers[4:])  # about 100 s for one more at 0.01/s
    assert first.take("198.51.100.8") == 0  # another client's bucket
    # A process that saw the bucket empty pauses that client without asking Redis.
    assert second.wait("198.51.100.7") > 90


def test_a_cost_is_taken_whole_or_not_at_all(cache):
    limiter = SharedRateLimiter(RateLimit(per_second=0.01, burst=6), cache)
    assert limiter.take("a", 4) == 0
    assert limiter.take("a", 4) == pytest.approx(200, abs=2)  # 2 left: 2 more at 0.01/s
    assert limiter.take("a", 2) == 0


def test_the_bucket_refills_at_the_rate(cache):
    import time

    limiter = SharedRateLimiter(RateLimit(per_second=20, burst=2), cache)
    assert [limiter.take("a") for _ in range(3)][2] > 0
    time.sleep(0.15)  # three tokens' worth, but never more than the burst
    assert [limiter.take("a") == 0 for _ in range(3)] == [True, True, False]


def test_with_redis_down_each_process_keeps_its_own_limit(doomed_redis, caplog):
    cache = RedisCache(doomed_redis.url)
    limiter = SharedRateLimiter(RateLimit(per_second=0.01, burst=2), cache)
    assert limiter.take("a") == 0
    doomed_redis.stop()
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0  # counted here meanwhile, from what Redis last said
    assert "Redis" in caplog.text and "unavailable" in caplog.text
    cache.close()
