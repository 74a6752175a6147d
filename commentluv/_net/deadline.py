"""A lookup's total time budget, and the watchdog that enforces it on sockets."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import FetchTimeout

if TYPE_CHECKING:
    import socket

__all__ = ["Deadline"]


class Deadline:
    """A lookup's total time budget, with a watchdog that shuts down the lookup's sockets
    when it runs out (a slow-drip server cannot hold a socket past it).

    ``requests``' own timeouts apply per socket operation, not to a whole transfer; this is
    what bounds the whole lookup.
    """

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.expires_at = clock() + seconds
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._expired = False
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.expires_at - self._clock())

    @property
    def expired(self) -> bool:
        return self._expired or self.remaining() <= 0

    def check(self, url: str | None = None) -> None:
        """Raise :class:`FetchTimeout` once the deadline has passed."""
        if self.expired:
            raise FetchTimeout("the lookup took longer than its deadline", url=url)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (at once if it already has)."""
        with self._lock:
            if not self._expired and self.remaining() > 0:
                self._sockets.add(sock)
                if self._timer is None:
                    self._timer = threading.Timer(self.remaining(), self._fire)
                    self._timer.daemon = True
                    self._timer.start()
                return
        _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self._expired = True
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _shutdown(sock)

    def close(self) -> None:
        """Stop the watchdog (the lookup is over)."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._sockets.clear()
        if timer is not None:
            timer.cancel()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _shutdown(sock: socket.socket) -> None:
    # shutdown(), not close(): it wakes a thread blocked in recv() on this socket without
    # freeing the descriptor under it. The base-class call skips SSLSocket's override,
    # which would tear down the TLS state another thread is using.
    import socket  # the socket layer is loaded once a socket exists; keeps import light

    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
