"""The few lookups that go to the network at once (sites not in the cache), shared fairly:
one client, however many requests it sends, holds at most its share of them."""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["ColdSlots"]


class ColdSlots:
    """``capacity`` slots for cold lookups, at most ``per_client`` of them (half, at least
    one) held by any one client key at a time. Thread-safe; never blocks: a request that
    finds no slot is refused at once, so it never queues behind sites that do not answer."""

    def __init__(self, capacity: int, per_client: int | None = None) -> None:
        if not (isinstance(capacity, int) and capacity >= 1):
            raise ValueError("max_cold_lookups must be an integer of at least 1")
        self.capacity = capacity
        self.per_client = per_client or max(1, capacity // 2)
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, key: str) -> bool:
        """A slot for ``key``, if one is free and ``key`` holds less than its share."""
        with self._lock:
            if self.running >= self.capacity or self._held[key] >= self.per_client:
                return False
            self._held[key] += 1
            return True

    def give_back(self, key: str) -> None:
        with self._lock:
            self._held[key] -= 1
            if not self._held[key]:
                del self._held[key]

    @property
    def running(self) -> int:
        """Cold lookups running now."""
        return self._held.total()
