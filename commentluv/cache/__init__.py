"""Caches: the interface, the in-memory and null caches; persistent backends in submodules.

A cache is any object with ``get``, ``set`` (with a TTL in seconds) and ``delete``. Values
commentluv stores are JSON-ready (dicts, lists, strings, numbers, None), so a backend may
serialise them as JSON. A backend that can also ``add`` (store only when the key is absent)
lets clients in several processes share one fetch of a site instead of each making their own.
A backend that also keeps indexes (:class:`IndexCache`) lets a scheduler find the sites about
to go stale, most read first (``commentluv.integrations.celery``).

Backends: :class:`MemoryCache` and :class:`NullCache` here;
``commentluv.cache.sqlite.SQLiteCache`` (one machine, survives restarts),
``commentluv.cache.redis.RedisCache`` (several machines, extra ``commentluv[redis]``) and
``commentluv.cache.django.DjangoCache`` (Django's cache framework). The byte-storing ones
write each value as UTF-8 JSON, never pickle: a shared cache must not be able to run code in
its readers. Which records are current is the client's business (their ``format`` number).
"""

from __future__ import annotations

import heapq
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cachetools import TLRUCache

__all__ = ["AddCache", "BucketCache", "Cache", "IndexCache", "MemoryCache", "NullCache"]


@runtime_checkable
class Cache(Protocol):
    """What commentluv needs from a cache backend."""

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when missing or expired."""

    def set(self, key: str, value: Any, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when missing)."""


@runtime_checkable
class AddCache(Cache, Protocol):
    """A cache that can also store a key only if it is absent (an atomic set-if-absent)."""

    def add(self, key: str, value: Any, ttl: float) -> bool:
        """Store ``value`` for ``ttl`` seconds unless ``key`` holds a live value.

        True if stored, and also when the backend is unavailable: a lock that cannot be
        taken there cannot be held by anyone else either, so callers go ahead.
        """


@runtime_checkable
class BucketCache(Cache, Protocol):
    """A cache that also keeps token buckets (rate limits), shared like its values."""

    def bucket_take(
        self, key: str, per_second: float, burst: int, cost: float
    ) -> tuple[float, float] | None:
        """Spend ``cost`` tokens from the bucket ``key`` (full at ``burst``, refilled at
        ``per_second``) if it holds that many: (the tokens left, 0.0), else (the tokens, the
        seconds until ``cost`` would be there) and nothing is spent. None when the backend is
        unavailable."""


@runtime_checkable
class IndexCache(Cache, Protocol):
    """A cache that also keeps named indexes of members, each with a due time (Unix seconds)
    and a read count, shared like its values. Unavailable, it answers as an empty index."""

    def index_set(self, index: str, member: str, due: float) -> None:
        """File ``member`` in ``index`` as due at ``due``, its count back to zero."""

    def index_remove(self, index: str, member: str) -> None:
        """Take ``member`` out of ``index`` (no error when missing)."""

    def index_count(self, index: str, counts: Mapping[str, int]) -> None:
        """Add ``counts`` to the counts of members in ``index`` (others are ignored)."""

    def index_due(self, index: str, before: float, limit: int) -> list[str]:
        """Up to ``limit`` members due before ``before`` and counted since filed, highest
        count first (ties: the later member name first)."""

    def index_prune(self, index: str, before: float) -> int:
        """Forget the members due before ``before``; returns how many went."""


class MemoryCache:
    """A thread-safe in-process cache with a TTL per entry, bounded both to ``maxsize``
    entries and to about ``max_bytes`` of values (their JSON size); the least recently used
    entries go first when either is full, and a value larger than ``max_bytes`` is not kept.
    Its indexes hold up to about ``maxsize`` members each (the earliest due go first)."""

    def __init__(
        self,
        maxsize: int = 10_000,
        *,
        max_bytes: int = 64 * 1024 * 1024,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        # Imported here: the CLI, which caches in SQLite, starts faster without it.
        from cachetools import TLRUCache

        # Each value is stored as (expiry time, value, size): TLRUCache reads the first for
        # expiry and the last to keep the total size under max_bytes.
        self._entries: TLRUCache[str, tuple[float, Any, int]] = TLRUCache(
            maxsize=max_bytes,
            ttu=lambda _key, entry, _now: entry[0],
            timer=timer,
            getsizeof=lambda entry: entry[2],
        )
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self._timer = timer
        self._lock = threading.Lock()
        # index → member → (due, count)
        self._indexes: dict[str, dict[str, tuple[float, int]]] = {}

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def set(self, key: str, value: Any, ttl: float) -> None:
        size = _size_of(key, value)
        with self._lock:
            self._put(key, value, ttl, size)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        size = _size_of(key, value)
        with self._lock:
            if key in self._entries:  # expired entries are not "in"
                return False
            self._put(key, value, ttl, size)
            return True

    def _put(self, key: str, value: Any, ttl: float, size: int) -> None:
        if size > self.max_bytes:
            self._entries.pop(key, None)  # too large to keep: the old value is stale now
            return
        self._entries[key] = (self._timer() + ttl, value, size)
        while len(self._entries) > self.maxsize:
            self._entries.popitem()

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._indexes.clear()

    def index_set(self, index: str, member: str, due: float) -> None:
        with self._lock:
            members = self._indexes.setdefault(index, {})
            members[member] = (due, 0)
            if len(members) > 2 * self.maxsize:  # trimmed in one pass now and then, not per set
                latest = sorted(members.items(), key=lambda item: item[1][0])[-self.maxsize :]
                self._indexes[index] = dict(latest)

    def index_remove(self, index: str, member: str) -> None:
        with self._lock:
            self._indexes.get(index, {}).pop(member, None)

    def index_count(self, index: str, counts: Mapping[str, int]) -> None:
        with self._lock:
            members = self._indexes.get(index, {})
            for member, count in counts.items():
                if member in members:
                    due, seen = members[member]
                    members[member] = (due, seen + count)

    def index_due(self, index: str, before: float, limit: int) -> list[str]:
        with self._lock:
            found = [
                (count, member)
                for member, (due, count) in self._indexes.get(index, {}).items()
                if due < before and count > 0
            ]
        return [member for _, member in heapq.nlargest(limit, found)]

    def index_prune(self, index: str, before: float) -> int:
        with self._lock:
            members = self._indexes.get(index, {})
            gone = [member for member, (due, _) in members.items() if due < before]
            for member in gone:
                del members[member]
        return len(gone)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _size_of(key: str, value: Any) -> int:
    """About what ``value`` costs to keep: its JSON text (commentluv's values are JSON)."""
    import json

    try:
        return len(key) + len(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError):
        return len(key) + sys.getsizeof(value)


class NullCache:
    """A cache that keeps nothing: every lookup goes to the network."""

    def get(self, key: str) -> Any | None:
        return None

    def set(self, key: str, value: Any, ttl: float) -> None:
        pass

    def delete(self, key: str) -> None:
        pass
