"""One run of a piece of work per key at a time, within a process; others wait for its result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Generic, TypeVar, cast

from ..errors import FetchTimeout

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Calls of :meth:`run` with the same key while one is running share its outcome."""

    def __init__(self) -> None:
        self._running: dict[str, _Flight[T]] = {}
        self._lock = threading.Lock()

    def run(self, key: str, work: Callable[[], T], *, wait: float) -> T:
        """``work()``, or the outcome of the run of ``key`` already in progress, waiting up
        to ``wait`` seconds for it (then :class:`FetchTimeout`)."""
        flight, leader = self._join(key)
        if leader:
            return self._lead(key, flight, work)
        return flight.outcome(wait)

    def start(
        self, key: str, work: Callable[[], T], executor: ThreadPoolExecutor
    ) -> Future[T] | None:
        """Run ``work`` on ``executor`` unless a run of ``key`` is in progress; the job, or
        None when nothing was started (already running, or the executor is shut down)."""
        flight, leader = self._join(key)
        if not leader:
            return None
        try:
            return executor.submit(self._lead, key, flight, work)
        except RuntimeError:  # shut down: nothing runs, nobody may wait on this key
            self._leave(key)
            flight.end(None, CancelledError())
            return None

    def _join(self, key: str) -> tuple[_Flight[T], bool]:
        with self._lock:
            flight = self._running.get(key)
            if flight is not None:
                return flight, False
            flight = self._running[key] = _Flight()
            return flight, True

    def _lead(self, key: str, flight: _Flight[T], work: Callable[[], T]) -> T:
        try:
            result = work()
        except BaseException as exc:
            flight.end(None, exc)
            raise
        else:
            flight.end(result, None)
            return result
        finally:
            self._leave(key)

    def _leave(self, key: str) -> None:
        with self._lock:
            del self._running[key]


class _Flight(Generic[T]):
    """One run's outcome, for the callers who joined it. A lock held from the start until
    :meth:`end` is what they wait on: a Future (a Condition, notified) cost its leader more
    Python calls than a lookup's cache handling, on every lookup, waited on or not."""

    __slots__ = ("_ended", "_error", "_result")

    def __init__(self) -> None:
        self._ended = threading.Lock()
        self._ended.acquire()
        self._result: T | None = None
        self._error: BaseException | None = None

    def end(self, result: T | None, error: BaseException | None) -> None:
        self._result, self._error = result, error
        self._ended.release()

    def outcome(self, wait: float) -> T:
        """The run's result (or its error raised), waiting up to ``wait`` seconds for it."""
        if not self._ended.acquire(timeout=max(wait, 0.0)):
            raise FetchTimeout("the lookup's deadline passed while another waited")
        self._ended.release()  # for the next caller waiting on this run
        if self._error is not None:
            raise self._error
        return cast(T, self._result)
