"""A cache in Redis, for deployments on several machines (``pip install commentluv[redis]``).

Values are stored as JSON (never pickle); Redis itself expires them (``SET ... PX``). The
client's keys already start with ``commentluv:``; ``prefix`` adds a namespace of your own in
front (several deployments sharing one Redis database). When Redis cannot be reached,
lookups go on without a cache: the failure is logged and Redis is left alone for
``retry_after`` seconds.

An index (:class:`~commentluv.cache.IndexCache`) is two sorted sets, ``<index>:due`` (score:
the due time) and ``<index>:count`` (score: the count), with the same members; picking the
due members by count takes Redis 6.2 or newer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._support import FailSafe, dumps, loads

__all__ = ["RedisCache"]

_PRUNE_BATCH = 10_000
# A token bucket, atomically: refill by the time passed (Redis's own clock, which every
# process shares), spend the cost if there is enough, and let the key expire once it would
# be full again anyway. Numbers go back as strings (Redis truncates Lua numbers to integers).
_BUCKET_TAKE = """
local per_second, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_second)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / per_second end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / per_second * 1000) + 1000)
return {tostring(tokens), tostring(wait)}
"""


class RedisCache:
    """A cache in the Redis server at ``url``, every key starting with ``prefix`` (none by default).

    Socket timeouts are short and failed commands are not retried: a slow cache must not
    hold up a comment. Pass ``client`` to share an existing ``redis.Redis``.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "",
        socket_timeout: float = 0.25,
        retry_after: float = 5.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.prefix = prefix
        self.redis = client or redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), retries=0),
        )
        self._safe = FailSafe("Redis", (redis.RedisError, OSError), retry_after=retry_after)
        self._bucket_take = self.redis.register_script(_BUCKET_TAKE)

    def get(self, key: str) -> Any | None:
        return self._safe.run(lambda: loads(self.redis.get(self.prefix + key)), None)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._safe.run(lambda: self._set(key, value, ttl, only_new=False), False)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return self._safe.run(lambda: self._set(key, value, ttl, only_new=True), True)

    def delete(self, key: str) -> None:
        self._safe.run(lambda: self.redis.delete(self.prefix + key), 0)

    def index_set(self, index: str, member: str, due: float) -> None:
        def file() -> None:
            with self.redis.pipeline() as pipe:
                pipe.zadd(self._index_key(index, "due"), {member: due})
                pipe.zadd(self._index_key(index, "count"), {member: 0})
                pipe.execute()

        self._safe.run(file, None)

    def index_remove(self, index: str, member: str) -> None:
        def remove() -> None:
            with self.redis.pipeline() as pipe:
                pipe.zrem(self._index_key(index, "due"), member)
                pipe.zrem(self._index_key(index, "count"), member)
                pipe.execute()

        self._safe.run(remove, None)

    def index_count(self, index: str, counts: Mapping[str, int]) -> None:
        def add() -> None:
            key = self._index_key(index, "count")
            with self.redis.pipeline(transaction=False) as pipe:
                for member, count in counts.items():
                    # XX: only members already filed (ZINCRBY would file any member).
                    pipe.zadd(key, {member: count}, xx=True, incr=True)
                pipe.execute()

        self._safe.run(add, None)

    def index_due(self, index: str, before: float, limit: int) -> list[str]:
        def due() -> list[str]:
            pick = self._index_key(index, "pick")
            # In one transaction: the due members into a scratch set, scored by their counts
            # (weights 0 and 1), the highest taken, the scratch set dropped.
            with self.redis.pipeline() as pipe:
                pipe.zrangestore(
                    pick, self._index_key(index, "due"), "-inf", f"({before!r}", byscore=True
                )
                pipe.zinterstore(pick, {pick: 0, self._index_key(index, "count"): 1})
                pipe.zrange(pick, "+inf", 1, desc=True, byscore=True, offset=0, num=limit)
                pipe.delete(pick)
                picked = pipe.execute()[2]
            return [member.decode() for member in picked]

        return self._safe.run(due, [])

    def index_prune(self, index: str, before: float) -> int:
        def prune() -> int:
            due = self._index_key(index, "due")
            # A bounded batch per call (the next call takes the rest): no huge reply.
            gone = self.redis.zrangebyscore(due, "-inf", f"({before!r}", start=0, num=_PRUNE_BATCH)
            if not gone:
                return 0
            with self.redis.pipeline() as pipe:
                pipe.zrem(due, *gone)
                pipe.zrem(self._index_key(index, "count"), *gone)
                return int(pipe.execute()[0])

        return self._safe.run(prune, 0)

    def bucket_take(
        self, key: str, per_second: float, burst: int, cost: float
    ) -> tuple[float, float] | None:
        def take() -> tuple[float, float]:
            tokens, wait = self._bucket_take([self.prefix + key], [per_second, burst, cost])
            return float(tokens), float(wait)

        return self._safe.run(take, None)

    def close(self) -> None:
        """Close the connection pool."""
        self.redis.close()

    def _set(self, key: str, value: Any, ttl: float, *, only_new: bool) -> bool:
        milliseconds = max(1, round(ttl * 1000))
        return bool(self.redis.set(self.prefix + key, dumps(value), px=milliseconds, nx=only_new))

    def _index_key(self, index: str, part: str) -> str:
        return f"{self.prefix}{index}:{part}"
