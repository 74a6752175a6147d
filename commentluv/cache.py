"""The cache interface, the in-memory and null caches, and what shared backends build on.

A cache is any object with ``get``, ``set`` (with a TTL in seconds) and ``delete``. Values
commentluv stores are JSON-ready (dicts, lists, strings, numbers, None), so a backend may
serialise them as JSON. A backend that can also ``add`` (store only when the key is absent)
lets clients in several processes share one fetch of a site instead of each making their own.

Backends that store bytes (SQLite, Redis) write each value as the UTF-8 JSON text of
``{"v": 1, "value": <value>}``; a value of another ``v``, or one that does not decode, reads
as a miss. JSON, never pickle: a shared cache must not be able to run code in its readers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from cachetools import TLRUCache

__all__ = [
    "SERIAL_VERSION",
    "AddCache",
    "Cache",
    "FailSafe",
    "MemoryCache",
    "NullCache",
    "dumps",
    "loads",
]

logger = logging.getLogger("commentluv")

SERIAL_VERSION = 1

T = TypeVar("T")


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


class MemoryCache:
    """A thread-safe in-process cache with a TTL per entry, bounded to ``maxsize`` entries
    (least recently used entries go first when full)."""

    def __init__(self, maxsize: int = 10_000, *, timer: Callable[[], float] = time.monotonic):
        # Imported here: the CLI, which caches in SQLite, starts faster without it.
        from cachetools import TLRUCache

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

    def add(self, key: str, value: Any, ttl: float) -> bool:
        with self._lock:
            if key in self._entries:  # expired entries are not "in"
                return False
            self._entries[key] = (self._timer() + ttl, value)
            return True

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


class NullCache:
    """A cache that keeps nothing: every lookup goes to the network."""

    def get(self, key: str) -> Any | None:
        return None

    def set(self, key: str, value: Any, ttl: float) -> None:
        pass

    def delete(self, key: str) -> None:
        pass


def dumps(value: Any) -> bytes:
    """``value`` in the versioned JSON envelope shared backends store."""
    return json.dumps({"v": SERIAL_VERSION, "value": value}, separators=(",", ":")).encode()


def loads(data: bytes | str | None) -> Any | None:
    """The value inside an envelope from :func:`dumps`; None (a miss) for anything else."""
    if data is None:
        return None
    try:
        envelope = json.loads(data)
    except ValueError:  # also UnicodeDecodeError
        logger.warning("ignoring an undecodable cache value")
        return None
    if not (isinstance(envelope, dict) and envelope.get("v") == SERIAL_VERSION):
        return None  # written by another version of commentluv: treat as absent
    return envelope.get("value")


class FailSafe:
    """Runs a backend's operations so that its failures become misses, never errors.

    A failure is logged as a warning and the backend is left alone for ``retry_after``
    seconds: a dead server or a broken file is not asked again on every lookup.
    """

    def __init__(
        self,
        name: str,
        errors: tuple[type[BaseException], ...],
        *,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.errors = errors
        self.retry_after = retry_after
        self._clock = clock
        self._down_until = float("-inf")

    @property
    def down(self) -> bool:
        """True while the backend is being left alone after a failure."""
        return self._clock() < self._down_until

    def run(self, action: Callable[[], T], fallback: T) -> T:
        """``action()``, or ``fallback`` when it fails or the backend is down."""
        if self.down:
            return fallback
        try:
            return action()
        except self.errors as exc:
            self._down_until = self._clock() + self.retry_after
            logger.warning(
                "%s cache unavailable (%s: %s); going without it for %gs",
                self.name,
                type(exc).__name__,
                exc,
                self.retry_after,
            )
            return fallback
