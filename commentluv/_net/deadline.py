"""A lookup's total time budget, and the watchdog that enforces it on sockets."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import FetchTimeout

if TYPE_CHECKING:
    import socket

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "DEFAULT_READ_TIMEOUT", "Deadline", "Watchdog"]

# Each socket operation's bound, inside a lookup's deadline (commentluv.config.Timeouts):
# a little over a multiple of TCP's 3 s retransmission window, as requests advises.
DEFAULT_CONNECT_TIMEOUT = 3.05
DEFAULT_READ_TIMEOUT = 5.0


class Deadline:
    """A lookup's total time budget, with a watchdog that shuts down the lookup's sockets
    when it runs out (a slow-drip server cannot hold a socket past it).

    ``requests``' own timeouts apply per socket operation, not to a whole transfer; this is
    what bounds the whole lookup.
    """

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        watchdog: Watchdog | None = None,
    ) -> None:
        self._clock = clock
        self.expires_at = clock() + seconds
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._expired = False
        self._cancelled = False
        self._watchdog = watchdog  # shared by a client's lookups; else a timer of its own
        self._timer: threading.Timer | None = None
        self._scheduled = False
        self._closed = False

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.expires_at - self._clock())

    @property
    def expired(self) -> bool:
        # The clock read here, not through remaining(): checked before every request and read.
        return self._expired or self._clock() >= self.expires_at

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called: the lookup ran out because it was cut off."""
        return self._cancelled

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called: the lookup is over, nothing left to watch."""
        return self._closed

    def check(self, url: str | None = None) -> None:
        """Raise :class:`FetchTimeout` once the deadline has passed."""
        if self.expired:
            raise FetchTimeout("the lookup took longer than its deadline", url=url)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it already has, or if the
        deadline is closed: a socket opened after its lookup ended is a bug, refused here)."""
        with self._lock:
            live = not self._closed and not self.expired
            first = live and not self._scheduled
            if live:
                self._sockets.add(sock)
                self._scheduled = True
            if first and self._watchdog is None:
                self._timer = threading.Timer(self.remaining(), self.fire)
                self._timer.daemon = True
                self._timer.start()
        if not live:
            _shutdown(sock)
        elif first and self._watchdog is not None:
            self._watchdog.schedule(self)

    def unwatch(self, sock: socket.socket) -> None:
        """Leave ``sock`` alone from now on: a kept-alive connection handed to the next
        lookup must not be shut down when this one's deadline passes."""
        with self._lock:
            self._sockets.discard(sock)

    def fire(self) -> None:
        """The deadline has passed: shut its sockets down (the watchdog calls this)."""
        with self._lock:
            self._expired = True
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _shutdown(sock)

    def cancel(self) -> None:
        """End the lookup now, as if its time had run out, and remember why (see
        :attr:`cancelled`): its owner has given up on it."""
        self._cancelled = True
        self.fire()

    def close(self) -> None:
        """Stop the watchdog (the lookup is over)."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._sockets.clear()
            self._closed = True
        if timer is not None:
            timer.cancel()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Watchdog:
    """One thread that shuts down the sockets of every :class:`Deadline` that passes, for
    all the lookups of a client: a thread per lookup would cost more than the lookup's parse.
    The thread starts with the first deadline scheduled and stops on :meth:`close`."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties never compare two deadlines
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def schedule(self, deadline: Deadline) -> None:
        with self._wake:
            sooner = not self._due or deadline.expires_at < self._due[0][0]
            heapq.heappush(self._due, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="commentluv-watchdog", daemon=True
                )
                self._thread.start()
            elif sooner:  # else it already wakes up in time: a wakeup costs a context switch
                self._wake.notify()

    def close(self) -> None:
        """Stop the thread; deadlines still watched pass now. A later :meth:`schedule`
        starts a new thread (a closed client that is used again stays guarded)."""
        with self._wake:
            self._closed = True
            thread, self._thread = self._thread, None
            due, self._due = self._due, []
            self._wake.notify()
        if thread is not None:
            thread.join()
        with self._wake:
            self._closed = False
        for _, _, deadline in due:
            deadline.fire()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed:
                    # Deadlines of lookups that are over need no wakeup: dropping them here
                    # makes the thread sleep until the first deadline still in use (one
                    # wakeup per lookup otherwise, each a context switch for nothing).
                    while self._due and self._due[0][2].closed:
                        heapq.heappop(self._due)
                    now = self._clock()
                    if self._due and self._due[0][0] <= now:
                        passed = heapq.heappop(self._due)[2]
                        break
                    self._wake.wait(self._due[0][0] - now if self._due else None)
                else:
                    return
            passed.fire()  # outside the lock: it shuts sockets down


def _shutdown(sock: socket.socket) -> None:
    # shutdown(), not close(): it wakes a thread blocked in recv() on this socket without
    # freeing the descriptor under it. The base-class call skips SSLSocket's override,
    # which would tear down the TLS state another thread is using.
    import socket  # the socket layer is loaded once a socket exists; keeps import light

    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
