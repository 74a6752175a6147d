"""Refreshes behind a stale answer: on the client's background threads (one per site at a
time), or handed to a task queue (``CommentLuv(refresher=...)``). Queued, one refresh per
site is queued at a time across processes (the queue's claim), reads are counted for the
queue's index, and the broker and the index are written from the background threads: a
render never waits on the broker and never writes per read."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from cachetools import TTLCache

from ..errors import CommentLuvError
from ..models import LookupResult
from .queue import RefreshQueue
from .singleflight import SingleFlight

__all__ = ["BackgroundRefreshes"]

logger = logging.getLogger("commentluv")

# A site this process queued (or found claimed) is not tried again for this long: a stale
# site read on every render costs the shared cache one claim attempt per interval.
_RETRY_AFTER = 10.0


class BackgroundRefreshes:
    """Background refreshes of one client: ``fetch(site)`` on up to ``workers`` threads,
    started on first use, or, with a ``queue``, ``refresher(site)`` (e.g. a Celery task's
    ``delay``)."""

    def __init__(
        self,
        flight: SingleFlight[LookupResult],
        fetch: Callable[[str], LookupResult],
        workers: int,
        queued: tuple[Callable[[str], Any], RefreshQueue] | None,
    ) -> None:
        self.refresher: Callable[[str], Any] | None = None
        self._queue: RefreshQueue | None = None
        if queued is not None:
            self.refresher, self._queue = queued
        self._flight = flight
        self._fetch = fetch
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="commentluv-refresh"
        )
        self._recent: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=_RETRY_AFTER)
        self._lock = threading.Lock()

    @property
    def queued(self) -> bool:
        return self.refresher is not None

    def refresh(self, site: str) -> None:
        """One background refresh of ``site``, unless one is running (or queued) already."""
        if self.refresher is not None:
            with self._lock:
                if site in self._recent:
                    return
                self._recent[site] = True
            self._submit(self._enqueue, site)
            return
        job = self._flight.start(site, lambda: self._fetch(site), self._executor)
        if job is not None:
            job.add_done_callback(_log_unexpected_failure)

    def viewed(self, site: str) -> None:
        """Count one read of ``site`` for the index (queued only); flush the counts when due."""
        if self._queue is not None and self._queue.count_view(site):
            self._submit(self._queue.flush_views)

    def close(self) -> None:
        """Wait for the background work, then flush the reads counted since the last flush."""
        self._executor.shutdown(wait=True)
        if self._queue is not None:
            self._queue.flush_views()

    def _enqueue(self, site: str) -> None:
        if self.refresher is None or self._queue is None or not self._queue.claim(site):
            return  # another process queued it
        try:
            self.refresher(site)
        except Exception as exc:  # a broker that is down: a later read tries again
            self._queue.release(site)
            logger.warning(
                "queueing a refresh of %s failed (%s: %s)", site, type(exc).__name__, exc
            )

    def _submit(self, work: Callable[..., None], *args: str) -> None:
        with contextlib.suppress(RuntimeError):  # closed: nothing runs in the background now
            self._executor.submit(work, *args)


def _log_unexpected_failure(job: Future[Any]) -> None:
    # Lookup errors are handled (and logged) by the refresh itself; anything else is a bug.
    error = job.exception()
    if error is not None and not isinstance(error, CommentLuvError):
        logger.error("background refresh failed", exc_info=error)
