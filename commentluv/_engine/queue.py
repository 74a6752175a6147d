"""The shared bookkeeping of a refresh task queue (``CommentLuv(refresher=...)`` and the
workers that serve it): an index of the sites by when their posts stop being fresh, with how
often each was read since (for a scheduler re-warming them), and the claim that keeps one
refresh per site queued at a time across processes. A client outside the queue never pays for
any of it: a cache does not have to be a scheduler's database to be a cache.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from ..cache import AddCache, Cache, IndexCache
from ..config import Freshness

__all__ = ["INDEX", "QUEUED_HOLD", "RefreshQueue"]

# The index's name in an IndexCache: site URL → when its posts stop being fresh, reads since.
INDEX = "commentluv:index"
# A refresh queued but not done within this long (its message lost) may be queued again.
QUEUED_HOLD = 15 * 60.0
# Reads are counted in the process and added to the index at most this often, or once this
# many sites have counts waiting: never one write per read.
_VIEWS_FLUSH_EVERY = 10.0
_VIEWS_WAITING = 10_000


class RefreshQueue:
    """The index and the claims, in ``cache`` (each only where the backend can: an
    :class:`~commentluv.cache.IndexCache` for the index, an ``add`` for the claims)."""

    def __init__(self, cache: Cache, freshness: Freshness, clock: Callable[[], float]) -> None:
        self.cache = cache
        self.freshness = freshness
        self.clock = clock
        self._add = cache.add if isinstance(cache, AddCache) else None
        self._index = cache if isinstance(cache, IndexCache) else None
        self._views: Counter[str] = Counter()
        self._views_lock = threading.Lock()
        self._flush_at = time.monotonic() + _VIEWS_FLUSH_EVERY

    @staticmethod
    def claim_key(site: str) -> str:
        return f"commentluv:queued:{site}"

    def written(self, site: str, fresh_until: float | None) -> None:
        """The site's entry was written (``fresh_until`` None: a failure). The index follows
        the entry (a site without posts leaves it, to be fetched when next read); a refresh
        queued for the site is done."""
        if self._index is not None:
            if fresh_until is None:
                self._index.index_remove(INDEX, site)
            else:
                self._index.index_set(INDEX, site, fresh_until)
        if self._add is not None:
            self.release(site)

    def claim(self, site: str) -> bool:
        """Claim the one queued refresh of ``site``: False while another claim holds (until
        the site is next written, or :data:`QUEUED_HOLD`). Without ``add``: always True."""
        return self._add is None or self._add(self.claim_key(site), 1, QUEUED_HOLD)

    def release(self, site: str) -> None:
        """End the claim on ``site``'s queued refresh (done, or could not be queued)."""
        self.cache.delete(self.claim_key(site))

    def count_view(self, site: str) -> bool:
        """Count one read of ``site`` in this process (only with an index); True when the
        counts waiting are due to be flushed (once per due time)."""
        if self._index is None:
            return False
        with self._views_lock:
            self._views[site] += 1
            now = time.monotonic()
            if now < self._flush_at and len(self._views) < _VIEWS_WAITING:
                return False
            self._flush_at = now + _VIEWS_FLUSH_EVERY
            return True

    def flush_views(self) -> None:
        """Add the reads counted in this process to the index, in one batch."""
        with self._views_lock:
            counts, self._views = self._views, Counter()
        if counts and self._index is not None:
            self._index.index_count(INDEX, counts)

    def due(self, within: float, limit: int) -> list[str]:
        """Up to ``limit`` sites whose posts stop being fresh within ``within`` seconds and
        that were read since last written, most read first (none without an index). Sites
        whose entries have expired are dropped from the index first."""
        if self._index is None:
            return []
        now = self.clock()
        self._index.index_prune(INDEX, now - self.freshness.entry_ttl)
        return self._index.index_due(INDEX, now + within, limit)
