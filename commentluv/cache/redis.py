"""A cache in Redis, for deployments on several machines (``pip install commentluv[redis]``).

Values are stored as JSON (never pickle); Redis itself expires them (``SET ... PX``). The
client's keys already start with ``commentluv:``; ``prefix`` adds a namespace of your own in
front (several deployments sharing one Redis database). When Redis cannot be reached,
lookups go on without a cache: the failure is logged and Redis is left alone for
``retry_after`` seconds.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._support import FailSafe, dumps, loads

__all__ = ["RedisCache"]


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

    def get(self, key: str) -> Any | None:
        return self._safe.run(lambda: loads(self.redis.get(self.prefix + key)), None)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._safe.run(lambda: self._set(key, value, ttl, only_new=False), False)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return self._safe.run(lambda: self._set(key, value, ttl, only_new=True), True)

    def delete(self, key: str) -> None:
        self._safe.run(lambda: self.redis.delete(self.prefix + key), 0)

    def close(self) -> None:
        """Close the connection pool."""
        self.redis.close()

    def _set(self, key: str, value: Any, ttl: float, *, only_new: bool) -> bool:
        milliseconds = max(1, round(ttl * 1000))
        return bool(self.redis.set(self.prefix + key, dumps(value), px=milliseconds, nx=only_new))
