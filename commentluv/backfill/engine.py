"""The backfill run: read the comments into the state file, look each site up once (bounded
overall and per host), fan each answer out to the site's comments, and keep count."""

from __future__ import annotations

import heapq
import logging
import os
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING

from ..errors import CommentLuvError, LookupCancelled
from ..models import LookupResult
from .models import (
    MAX_PER_HOST,
    AsOf,
    BackfillOptions,
    BackfillResult,
    Comment,
    Fallback,
    Phase,
    Progress,
    Summary,
)
from .picking import result_for, triage
from .state import StateFile

if TYPE_CHECKING:
    from ..client import CommentLuv

__all__ = ["BackfillRun", "backfill"]

logger = logging.getLogger("commentluv")

_BATCH = 1000  # comments recorded per transaction while reading the input
_STOP_CHECK = 0.1  # seconds between looks at stop() while waiting for lookups


def backfill(
    comments: Iterable[Comment],
    client: CommentLuv,
    *,
    as_of: AsOf = "now",
    fallback: Fallback = "none",
    jobs: int = 8,
    per_host: int = MAX_PER_HOST,
    delay: float = 0.0,
    style: str = "card",
    include_unapproved: bool = False,
    refresh: bool = False,
    state: str | os.PathLike[str] | None = None,
    resume: bool = False,
    source: str = "",
    progress: Callable[[Progress], None] | None = None,
) -> BackfillRun:
    """Backlinks for ``comments``: iterate the returned :class:`BackfillRun` for one
    :class:`BackfillResult` per comment (in the order sites finish), then read its
    ``summary``. Nothing happens until iteration starts.

    Each site (comments grouped by normalised URL) is looked up once with ``client`` (its
    deadline, cache and address policy apply), asking for as many posts as the cache keeps.
    The options are :class:`BackfillOptions`' (ValueError when invalid).

    Progress lives in the SQLite file ``state`` (default: a temporary file, removed by
    :meth:`BackfillRun.close`). With ``resume`` a run picks up where the last run on that
    file stopped: the input is not read again, finished sites are not looked up again, and
    their results are yielded first. ``source`` names the input (a path, a size, a date);
    resuming with another ``source`` or other result-changing options raises
    :class:`~commentluv.backfill.StateMismatch`. ``progress`` is called with a
    :class:`Progress` now and then, in the iterating thread. :meth:`BackfillRun.stop` ends
    a run early, keeping everything finished for ``resume``.
    """
    options = BackfillOptions(
        as_of=as_of,
        fallback=fallback,
        jobs=jobs,
        per_host=per_host,
        delay=delay,
        style=style,
        include_unapproved=include_unapproved,
        refresh=refresh,
    )
    return BackfillRun(comments, client, options, state, resume, source, progress)


class BackfillRun:
    """One backfill: an iterator of results, with the counts so far in :attr:`summary`.

    Iterate it from one thread. Use it as a context manager (or call :meth:`close`) to stop
    the lookups still running and close the state file. :meth:`stop` (from a signal handler
    or another thread) ends the iteration early, in order: no new lookup starts, the ones in
    flight are cut off (:meth:`~commentluv.CommentLuv.cancel_lookups`) and not recorded, and
    :attr:`interrupted` says so. A KeyboardInterrupt in the iterating thread does the same
    before it propagates.
    """

    def __init__(
        self,
        comments: Iterable[Comment],
        client: CommentLuv,
        options: BackfillOptions,
        state: str | os.PathLike[str] | None,
        resume: bool,
        source: str,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.options = options
        self._comments = comments
        self._client = client
        self._resume = resume
        self._source = source
        self._progress = progress
        self._temporary = state is None
        self.state_path = Path(state) if state is not None else _temporary_state_path()
        self._state: StateFile | None = None
        self._clock = time.monotonic
        self._started = self._clock()
        self._ended: float | None = None
        self._outcomes: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._chosen: Counter[str] = Counter()
        self._sites: Counter[str] = Counter()  # total, looked_up, cached, resumed
        # A plain flag, not an Event: stop() may run in a signal handler, which must not
        # wait for a lock the interrupted thread may hold.
        self._stop_requested = False
        self._finished = False
        self._iterator = self._run()

    def __iter__(self) -> BackfillRun:
        return self

    def __next__(self) -> BackfillResult:
        return next(self._iterator)

    def __enter__(self) -> BackfillRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def stop(self) -> None:
        """End the run early (see the class docs); safe from a signal handler or another
        thread. The iteration ends soon after, once the lookups in flight are cut off."""
        self._stop_requested = True

    @property
    def interrupted(self) -> bool:
        """True when the run ended (or is ending) before every comment had its result."""
        return self._stop_requested and not self._finished

    def close(self) -> None:
        """Stop (lookups in flight are cut off, unused; see :meth:`stop`) and close the state
        file once they have ended; a temporary state file is removed."""
        self._stop_requested = True
        self._iterator.close()
        if self._state is not None:
            self._state.close()
            self._state = None
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.state_path}{suffix}").unlink(missing_ok=True)

    @property
    def summary(self) -> Summary:
        """The counts so far (final once iteration has ended)."""
        return Summary(
            comments=sum(self._outcomes.values()),
            sites=self._sites["total"],
            sites_looked_up=self._sites["looked_up"],
            sites_cached=self._sites["cached"],
            sites_resumed=self._sites["resumed"],
            seconds=(self._ended or self._clock()) - self._started,
            outcomes=MappingProxyType(dict(self._outcomes)),
            errors=MappingProxyType(dict(self._errors)),
            chosen=MappingProxyType(dict(self._chosen)),
        )

    def results(self) -> Iterator[BackfillResult]:
        """Every result recorded so far, in input order (for writing the output once the
        iteration has ended), read from the state file as it goes."""
        if self._state is None:
            raise RuntimeError("the run has not started, or it is closed")
        return self._state.results()

    # The run

    def _run(self) -> Generator[BackfillResult, None, None]:
        self._started = self._clock()
        self._state = state = StateFile(self.state_path)
        identity = {"source": self._source, "settings": self.options.result_settings()}
        if state.start(identity, resume=self._resume):
            logger.info("resuming the backfill in %s", self.state_path)
        elif not self._read(state):
            return
        info = state.info()
        self._sites.update(total=info.sites, resumed=info.sites_done)
        self._report("looking_up")
        # Known already: comments that need no lookup, and the sites an earlier run finished.
        for result in state.results():
            if self._stop_requested:
                return
            yield self._counted(result)
        yield from self._look_up(state)
        if not self._stop_requested:
            self._finished = True
            self._ended = self._clock()
            self._report("done")

    def _read(self, state: StateFile) -> bool:
        """Record the input's comments; False when stopped first (a resume reads it anew)."""
        batch: list[tuple[int, Comment, str | None, BackfillResult | None]] = []
        count = 0
        for count, comment in enumerate(self._comments, 1):
            site, result = triage(count - 1, comment, self.options)
            batch.append((count - 1, comment, site, result))
            if len(batch) == _BATCH:
                if self._stop_requested:
                    return False
                state.add_comments(batch)
                batch.clear()
                self._report("reading", comments=count)
        state.add_comments(batch)
        state.finish_loading()
        self._report("reading", comments=count)
        return True

    def _look_up(self, state: StateFile) -> Iterator[BackfillResult]:
        hosts = _Hosts(state.pending_sites(), self.options.per_host, self.options.delay)
        pool = ThreadPoolExecutor(self.options.jobs, thread_name_prefix="commentluv-backfill")
        in_flight: dict[Future[LookupResult], tuple[str, str]] = {}
        try:
            while not self._stop_requested:
                now = self._clock()
                while len(in_flight) < self.options.jobs:
                    taken = hosts.take(now)
                    if taken is None:
                        break
                    in_flight[pool.submit(self._lookup, taken[0])] = taken
                wake = hosts.next_start()
                if not in_flight and wake is None:
                    return
                # Waits are short enough to see stop() soon: a signal handler cannot wake
                # a thread blocked here without risking a deadlock.
                timeout = _STOP_CHECK if wake is None else min(_STOP_CHECK, max(0.0, wake - now))
                if not in_flight:
                    time.sleep(timeout)  # only --delay holds every site back
                    continue
                done, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                if self._stop_requested:
                    break  # an answer that came with the stop may be the interrupt's doing
                answers = []
                for future in done:
                    site, host = in_flight.pop(future)
                    hosts.finished(host)
                    answers.append((site, future.result()))
                yield from self._fan_out(state, answers)
        except BaseException:
            self._stop_requested = True  # a KeyboardInterrupt, or close(): stopping too
            raise
        finally:
            # Stopping (stop(), KeyboardInterrupt, close()): nothing new starts, the lookups
            # in flight are cut off and their answers dropped (the sites stay pending), and
            # the threads have ended before the state or the client's cache can be closed.
            pool.shutdown(wait=False, cancel_futures=True)
            # Again until they have all ended: a lookup that had just started may register
            # after a cancel, and would otherwise run to its own deadline.
            while not all(future.done() for future in in_flight):
                self._client.cancel_lookups()
                wait(in_flight, timeout=_STOP_CHECK)
            pool.shutdown(wait=True)

    def _lookup(self, site: str) -> LookupResult:
        if self._stop_requested:  # queued before stop(): not worth starting
            return LookupResult((), LookupCancelled("the backfill is stopping", url=site))
        try:
            return self._client.lookup(
                site, self._client.limits.max_stored_posts, refresh=self.options.refresh
            )
        except Exception as exc:
            # A bug must not end a run of hours, nor return on every resume: log, go on.
            logger.exception("looking up %s failed unexpectedly", site)
            return LookupResult((), CommentLuvError(f"unexpected failure: {exc!r}"[:300]))

    def _fan_out(
        self, state: StateFile, answers: list[tuple[str, LookupResult]]
    ) -> Iterator[BackfillResult]:
        """Record the sites just looked up, in one transaction, then yield their results."""
        finished = [
            (
                site,
                [
                    result_for(index, comment, site, lookup, self.options)
                    for index, comment in state.comments_of(site)
                ],
                lookup.cached,
            )
            for site, lookup in answers
        ]
        state.finish_sites(finished)
        for _, results, cached in finished:
            self._sites.update(looked_up=1, cached=int(cached))
            for result in results:
                yield self._counted(result)
            self._report("looking_up")  # per site, as a progress bar counts them

    def _counted(self, result: BackfillResult) -> BackfillResult:
        self._outcomes[result.outcome] += 1
        if result.error is not None:
            self._errors[result.error] += 1
        if result.chosen is not None:
            self._chosen[result.chosen] += 1
        return result

    def _report(self, phase: Phase, *, comments: int | None = None) -> None:
        if self._progress is None:
            return
        done = self._sites["resumed"] + self._sites["looked_up"]
        self._progress(
            Progress(
                phase=phase,
                comments=comments if comments is not None else self.summary.comments,
                sites_done=done,
                sites_total=self._sites["total"],
                elapsed=self._clock() - self._started,
            )
        )


class _Hosts:
    """Which site may start next: round-robin over hosts, at most ``per_host`` lookups at
    once on a host, starts on one host at least ``delay`` seconds apart."""

    def __init__(self, sites: Iterable[tuple[str, str]], per_host: int, delay: float) -> None:
        self.per_host = per_host
        self.delay = delay
        self.queues: dict[str, deque[str]] = {}
        for site, host in sites:
            self.queues.setdefault(host, deque()).append(site)
        self.running: Counter[str] = Counter()
        self.earliest: dict[str, float] = {}
        # Each host with sites left is in at most one of: ready, waiting (for its delay).
        self.ready: deque[str] = deque(self.queues)
        self.listed: set[str] = set(self.queues)
        self.waiting: list[tuple[float, str]] = []

    def take(self, now: float) -> tuple[str, str] | None:
        """(site, host) of a lookup that may start now, or None."""
        while self.waiting and self.waiting[0][0] <= now:
            self.ready.append(heapq.heappop(self.waiting)[1])
        while self.ready:
            host = self.ready.popleft()
            start = self.earliest.get(host, 0.0)
            if start > now:
                heapq.heappush(self.waiting, (start, host))
                continue
            self.listed.discard(host)
            queue = self.queues[host]
            site = queue.popleft()
            self.running[host] += 1
            self.earliest[host] = now + self.delay
            self._offer(host)
            return site, host
        return None

    def finished(self, host: str) -> None:
        self.running[host] -= 1
        self._offer(host)

    def next_start(self) -> float | None:
        """When a waiting host may start again, if one is waiting."""
        return self.waiting[0][0] if self.waiting else None

    def _offer(self, host: str) -> None:
        if self.queues[host] and self.running[host] < self.per_host and host not in self.listed:
            self.listed.add(host)
            self.ready.append(host)


def _temporary_state_path() -> Path:
    handle, name = tempfile.mkstemp(prefix="commentluv-backfill-", suffix=".sqlite3")
    os.close(handle)
    return Path(name)
