"""The cache interface and the default in-memory cache.

A cache is any object with ``get``, ``set`` (with a TTL in seconds) and ``delete``. Values
commentluv stores are JSON-ready (dicts, lists, strings, numbers, None), so a backend may
serialise them as JSON.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from cachetools import TLRUCache

__all__ = ["Cache", "MemoryCache"]


@runtime_checkable
class Cache(Protocol):
    """What commentluv needs from a cache backend."""

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when missing or expired."""

    def set(self, key: str, value: Any, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when missing)."""


class MemoryCache:
    """A thread-safe in-process cache with a TTL per entry, bounded to ``maxsize`` entries
    (least recently used entries go first when full)."""

    def __init__(self, maxsize: int = 10_000, *, timer: Callable[[], float] = time.monotonic):
        # Each value is stored with its own expiry time; TLRUCache asks for it on insertion.
        self._entries: TLRUCache[str, tuple[float, Any]] = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, entry, _now: entry[0], timer=timer
        )
        self._timer = timer
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (self._timer() + ttl, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
