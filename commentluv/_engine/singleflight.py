"""One run of a piece of work per key at a time, within a process; others wait for its result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

from ..errors import FetchTimeout

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Calls of :meth:`run` with the same key while one is running share its outcome."""

    def __init__(self) -> None:
        self._running: dict[str, Future[T]] = {}
        self._lock = threading.Lock()

    def run(self, key: str, work: Callable[[], T], *, wait: float) -> T:
        """``work()``, or the outcome of the run of ``key`` already in progress, waiting up
        to ``wait`` seconds for it (then :class:`FetchTimeout`)."""
        future, leader = self._join(key)
        if leader:
            return self._lead(key, future, work)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            raise FetchTimeout("the lookup's deadline passed while another waited") from None

    def start(
        self, key: str, work: Callable[[], T], executor: ThreadPoolExecutor
    ) -> Future[T] | None:
        """Run ``work`` on ``executor`` unless a run of ``key`` is in progress; the job, or
        None when nothing was started (already running, or the executor is shut down)."""
        future, leader = self._join(key)
        if not leader:
            return None
        try:
            return executor.submit(self._lead, key, future, work)
        except RuntimeError:  # shut down: nothing runs, nobody may wait on this key
            self._leave(key)
            future.cancel()
            return None

    def _join(self, key: str) -> tuple[Future[T], bool]:
        with self._lock:
            future = self._running.get(key)
            if future is not None:
                return future, False
            future = self._running[key] = Future()
            return future, True

    def _lead(self, key: str, future: Future[T], work: Callable[[], T]) -> T:
        try:
            result = work()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            self._leave(key)

    def _leave(self, key: str) -> None:
        with self._lock:
            del self._running[key]
