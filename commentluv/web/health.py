"""Whether the service can answer: its cache round-trips a value (a Redis that is down, an
SQLite file that cannot be written, say no). Cheap: one probe a second at most, however
often a load balancer asks."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from ..cache import Cache, NullCache

__all__ = ["Readiness"]


class Readiness:
    """Probes ``cache`` (write a value, read it back) and keeps the verdict ``keep`` seconds."""

    def __init__(
        self, cache: Cache, *, keep: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._cache = cache
        self._keep = keep
        self._clock = clock
        # A key of this process's own: two services sharing a cache never read each other's.
        self._key = f"commentluv:readyz:{os.urandom(8).hex()}"
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._problem: str | None = None

    def problem(self) -> str | None:
        """None when ready, else why not."""
        with self._lock:
            now = self._clock()
            if now - self._checked_at >= self._keep:
                self._problem = self._probe(now)
                self._checked_at = now
            return self._problem

    def _probe(self, now: float) -> str | None:
        if isinstance(self._cache, NullCache):
            return None  # no cache configured: nothing to wait for
        # The backends turn their failures into misses: a value that does not come back is
        # the one sign of a cache that does not answer.
        token = f"{now}:{os.getpid()}"
        self._cache.set(self._key, token, ttl=60)
        if self._cache.get(self._key) != token:
            return "the cache does not answer (see the log for its error)"
        return None
