"""A client's way out to the network: :class:`Network`, the one place the client's
fetcher, transport and deadline watchdog are built.

Importing this module stays light (no socket, ssl or h11): the HTTP stack is imported when
the first lookup needs it, so a command answered from a persistent cache never loads it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .deadline import Deadline, Watchdog
from .policy import AddressPolicy

if TYPE_CHECKING:
    from .fetcher import Fetcher
    from .resolve import Resolver
    from .transport import Transport

__all__ = ["Network", "NetworkOptions"]


@dataclass(frozen=True)
class NetworkOptions:
    """What the client's own transport is built from (unused when one is given)."""

    connect_timeout: float
    read_timeout: float
    resolver: Resolver | None = None
    ca_bundle: str | os.PathLike[str] | None = None


class Network:
    """The deadline watchdog shared by a client's lookups and, built on the first lookup
    that needs it, the fetcher over ``transport`` (else an
    :class:`~commentluv._net.http.HTTPTransport` built from ``options``, which
    :meth:`close` closes; a transport passed in is the caller's to close). Thread-safe."""

    def __init__(
        self,
        transport: Transport | None,
        options: NetworkOptions,
        *,
        policy: AddressPolicy,
        user_agent: str,
        max_redirects: int,
    ) -> None:
        self._transport = transport
        self._options = options
        self._policy = policy
        self._user_agent = user_agent
        self._max_redirects = max_redirects
        self._fetcher: Fetcher | None = None
        self._lock = threading.Lock()
        # One thread for the deadlines of all the client's lookups, started on first use.
        self._watchdog = Watchdog()

    def deadline(self, seconds: float) -> Deadline:
        """A lookup's deadline, watched by the shared watchdog."""
        return Deadline(seconds, watchdog=self._watchdog)

    @property
    def fetcher(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                from .fetcher import Fetcher

                self._fetcher = Fetcher(
                    self._transport or self._own_transport(),
                    policy=self._policy,
                    user_agent=self._user_agent,
                    max_redirects=self._max_redirects,
                )
            return self._fetcher

    def _own_transport(self) -> Transport:
        from .http import HTTPTransport  # sockets, ssl and h11: only once a lookup needs them

        options = self._options
        return HTTPTransport(
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            resolver=options.resolver,
            ca_bundle=options.ca_bundle,
        )

    def close(self) -> None:
        """Close the connections of the transport built here, and stop the watchdog."""
        with self._lock:
            if self._fetcher is not None and self._transport is None:
                self._fetcher.close()
        self._watchdog.close()
