"""Host names to addresses, in threads a lookup's deadline can abandon."""

from __future__ import annotations

import ipaddress
import queue
import socket
import threading
from collections.abc import Callable, Sequence

from ..errors import FetchError, FetchTimeout
from .deadline import Deadline

__all__ = ["Resolver", "ResolverThreads", "is_ip_address", "resolve", "system_resolver"]

Resolver = Callable[[str, int], Sequence[str]]
"""Maps ``(host, port)`` to the IP addresses to try, in order."""


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (``getaddrinfo``), keeping its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve(resolvers: ResolverThreads, host: str, port: int, deadline: Deadline) -> Sequence[str]:
    """The addresses of ``host``, resolved in a thread so that a hung DNS lookup cannot
    outlive the deadline (getaddrinfo cannot be interrupted). An address needs no resolving."""
    if resolvers.resolver is system_resolver and is_ip_address(host):
        return [host]
    try:
        addresses = resolvers.resolve(host, port, timeout=deadline.remaining())
    except TimeoutError:
        raise FetchTimeout(f"resolving {host} took longer than the deadline") from None
    except Exception as exc:
        raise FetchError("the host name does not resolve") from exc
    if not addresses:
        raise FetchError("the host name does not resolve")
    return addresses


class ResolverThreads:
    """Threads that run ``resolver``, each kept for the next lookup once done (starting a
    thread costs five handoffs to a live one). A thread stuck in a hung lookup is left to
    finish on its own: the lookup that waited on it has given up at its deadline."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._idle: list[queue.SimpleQueue[_Job | None]] = []
        self._lock = threading.Lock()

    def resolve(self, host: str, port: int, *, timeout: float) -> Sequence[str]:
        """The resolver's answer; TimeoutError after ``timeout``; the resolver's error."""
        with self._lock:
            jobs = self._idle.pop() if self._idle else None
        if jobs is None:
            jobs = queue.SimpleQueue()
            threading.Thread(
                target=self._serve, args=(jobs,), name="commentluv-dns", daemon=True
            ).start()
        answer: queue.SimpleQueue[tuple[Sequence[str] | None, BaseException | None]] = (
            queue.SimpleQueue()
        )
        jobs.put((host, port, answer))
        try:
            addresses, error = answer.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if error is not None:
            raise error
        return addresses or []

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for jobs in idle:
            jobs.put(None)

    def _serve(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            host, port, answer = job
            try:
                answer.put((self.resolver(host, port), None))
            except Exception as exc:  # handed to the waiting lookup
                answer.put((None, exc))
            with self._lock:
                if len(self._idle) >= _IDLE_RESOLVERS:
                    return
                self._idle.append(jobs)


# host, port, and where the answer (addresses, error) goes.
_Job = tuple[str, int, "queue.SimpleQueue[tuple[Sequence[str] | None, BaseException | None]]"]
_IDLE_RESOLVERS = 8


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
