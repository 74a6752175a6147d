"""The one module that opens sockets: :class:`HTTPTransport`, over urllib3.

For every request it enforces the address policy on every address a name resolves to,
connecting to the checked address so DNS cannot change its answer in between; arms each
socket with the lookup's deadline watchdog; resolves names in a thread the deadline can
abandon; and lets urllib3 decode only the content encodings it asked for.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import queue
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import certifi
from urllib3 import BaseHTTPResponse, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import Url, parse_url

from ..errors import BlockedURL, CommentLuvError, FetchError, FetchTimeout
from .deadline import Deadline
from .policy import AddressPolicy
from .transport import CHUNK_SIZE, Request, TransportResponse

__all__ = ["ACCEPTED_ENCODINGS", "HTTPTransport", "Resolver", "system_resolver"]

logger = logging.getLogger("commentluv")

Resolver = Callable[[str, int], Sequence[str]]
"""Maps ``(host, port)`` to the IP addresses to try, in order."""

# The codings the transport advertises (Accept-Encoding) and lets urllib3 decode. Any other one
# is refused rather than passed on: urllib3 would decode br or zstd whenever the brotli or
# zstandard package happens to be installed, so what gets decompressed (and how far a bomb
# expands) would depend on the environment instead of on this list.
ACCEPTED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (``getaddrinfo``), keeping its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class _Scope:
    policy: AddressPolicy
    resolvers: _ResolverThreads
    deadline: Deadline


# urllib3 builds connections deep inside its pools, with no way to pass per-request data down;
# a context variable carries the current request's policy and deadline to them. It holds no
# state between requests: HTTPTransport.send sets it and resets it around each request.
_current_scope: contextvars.ContextVar[_Scope] = contextvars.ContextVar("commentluv_scope")


class _GuardedConnectionMixin:
    """Resolve once, check every address, connect to a checked one, arm the watchdog."""

    host: str
    port: int
    timeout: Any
    sock: socket.socket | None
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        scope = _current_scope.get(None)
        if scope is None:  # used outside Fetcher.get: refuse rather than connect unchecked
            raise BlockedURL("connection attempted outside a commentluv request")
        host = self.host.strip("[]")
        addresses = _resolve(scope, host, self.port, self)
        for address in addresses:
            scope.policy.check_address(address)
        return _connect(scope, addresses, self.port, self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        # Reused keep-alive connections were armed by an earlier lookup: arm them for this one.
        scope = _current_scope.get(None)
        if scope is not None and self.sock is not None:
            scope.deadline.watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _resolve(scope: _Scope, host: str, port: int, conn: Any) -> Sequence[str]:
    """The addresses of ``host``, resolved in a thread so that a hung DNS lookup cannot
    outlive the deadline (getaddrinfo cannot be interrupted). An address needs no resolving."""
    resolvers = scope.resolvers
    if resolvers.resolver is system_resolver and _is_ip_address(host):
        return [host]
    try:
        addresses = resolvers.resolve(host, port, timeout=scope.deadline.remaining())
    except TimeoutError:
        raise ConnectTimeoutError(conn, f"resolving {host} took longer than the deadline") from None
    except Exception as exc:
        raise NameResolutionError(host, conn, _as_os_error(exc)) from exc
    if not addresses:
        raise NameResolutionError(host, conn, socket.gaierror(f"{host} has no address"))
    return addresses


def _as_os_error(exc: Exception) -> socket.gaierror:
    # urllib3 wants the resolver's failure as a socket error; a custom resolver may raise any.
    return exc if isinstance(exc, socket.gaierror) else socket.gaierror(str(exc))


class _ResolverThreads:
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


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _connect(scope: _Scope, addresses: Sequence[str], port: int, conn: Any) -> socket.socket:
    last_error: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            scope.deadline.watch(sock)
            sock.settimeout(min(conn.timeout or 30.0, scope.deadline.remaining()))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect((address, port))
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
            if scope.deadline.expired:
                break
    if isinstance(last_error, socket.timeout) or scope.deadline.expired:
        raise ConnectTimeoutError(conn, "connection timed out")
    raise NewConnectionError(conn, f"connection failed: {last_error}")


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class HTTPTransport:
    """The real transport: urllib3 pools of guarded connections. Thread-safe.

    ``connect_timeout``/``read_timeout`` bound each socket operation (the deadline bounds the
    whole lookup); ``resolver`` maps a host to the addresses to try (default: the system's);
    ``verify`` checks TLS certificates against certifi's CA bundle (True), another bundle
    (a path) or not at all (False: tests only). No proxy, ``.netrc`` or cookie is ever used: a
    lookup is anonymous and goes where the policy says. Each address policy gets its own
    connection pools, so a connection opened under a permissive policy is never reused under a
    strict one.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 5.0,
        resolver: Resolver | None = None,
        verify: bool | str = True,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.resolver = resolver or system_resolver
        self.verify = verify
        self._resolvers = _ResolverThreads(self.resolver)
        self._pools_by_policy: dict[AddressPolicy, _Pools] = {}
        self._lock = threading.Lock()

    def send(
        self, request: Request, *, policy: AddressPolicy, deadline: Deadline
    ) -> TransportResponse:
        url = request.url
        remaining = deadline.remaining()  # read once: a later read could find it spent
        if remaining <= 0:  # urllib3 refuses a zero timeout with a ValueError
            raise FetchTimeout("the lookup took longer than its deadline", url=url)
        timeout = Timeout(
            connect=min(self.connect_timeout, remaining), read=min(self.read_timeout, remaining)
        )
        token = _current_scope.set(_Scope(policy, self._resolvers, deadline))
        try:
            parts = parse_url(url)
            response = (
                self._pools(policy)
                .get(parts)
                .urlopen(
                    "GET",
                    parts.request_uri,
                    headers={**_HEADERS, **request.headers},
                    redirect=False,
                    retries=False,
                    timeout=timeout,
                    preload_content=False,
                    decode_content=True,
                )
            )
        except CommentLuvError:
            raise
        except NewConnectionError as exc:  # a subclass of ConnectTimeoutError, oddly
            raise _failure(exc, url, deadline) from exc
        except (ConnectTimeoutError, ReadTimeoutError) as exc:
            raise FetchTimeout("timed out", url=url) from exc
        except SSLError as exc:
            raise FetchError("TLS handshake or certificate verification failed", url=url) from exc
        except (HTTPError, OSError) as exc:
            raise _failure(exc, url, deadline) from exc
        finally:
            _current_scope.reset(token)
        body = _Body(response, url, deadline)
        reason = response.reason or ""
        return TransportResponse(
            response.status, response.headers, body, reason=reason, on_close=body.close
        )

    def close(self) -> None:
        with self._lock:
            pools, self._pools_by_policy = list(self._pools_by_policy.values()), {}
        for pool in pools:
            pool.close()
        self._resolvers.close()

    def _pools(self, policy: AddressPolicy) -> _Pools:
        with self._lock:
            pools = self._pools_by_policy.get(policy)
            if pools is None:
                pools = self._pools_by_policy[policy] = _Pools(self.verify)
            return pools


class _Pools:
    """The connection pools of one address policy, one per scheme, host and port, the least
    recently used closed beyond ``_MAX_POOLS``. (urllib3's PoolManager does this too, at the
    cost of a 30-field key built for every request.)"""

    def __init__(self, verify: bool | str) -> None:
        self.tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE"}
        if verify:
            self.tls["ca_certs"] = verify if isinstance(verify, str) else certifi.where()
        self._pools: OrderedDict[tuple[str, str, int], HTTPConnectionPool] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, parts: Url) -> HTTPConnectionPool:
        scheme, host = parts.scheme or "http", parts.host
        if not host:
            raise LocationValueError("no host in the URL")
        key = (scheme, host, parts.port or _DEFAULT_PORTS[scheme])
        evicted = None
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            if scheme == "https":
                pool = _GuardedHTTPSPool(host, key[2], maxsize=4, block=False, **self.tls)
            else:
                pool = _GuardedHTTPPool(host, key[2], maxsize=4, block=False)
            self._pools[key] = pool
            if len(self._pools) > _MAX_POOLS:
                evicted = self._pools.popitem(last=False)[1]
        if evicted is not None:
            evicted.close()  # its connections in use close when their responses are done
        return pool

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()


_MAX_POOLS = 64
_DEFAULT_PORTS = {"http": 80, "https": 443}


# Sent with every request: only what ACCEPTED_ENCODINGS lets urllib3 decode.
_HEADERS = {"Accept-Encoding": "gzip, deflate"}


class _Body:
    """A response body, read in chunks under the deadline. A connection read to the end goes
    back to its pool; one left with unread bytes is closed (they would start the next reply)."""

    def __init__(self, response: BaseHTTPResponse, url: str, deadline: Deadline) -> None:
        self.response = response
        self.url = url
        self.deadline = deadline
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        # Checked when the body is first read: a redirect or an error status is handled first.
        _check_encoding(self.response.headers.get("Content-Encoding", ""), self.url)
        try:
            yield from self.response.stream(CHUNK_SIZE, decode_content=True)
        except CommentLuvError:
            raise
        except (HTTPError, OSError) as exc:
            if self.deadline.expired:
                raise FetchTimeout(
                    "the lookup took longer than its deadline", url=self.url
                ) from exc
            raise FetchError(f"the connection broke while reading: {exc}", url=self.url) from exc
        self.finished = True

    def close(self) -> None:
        if not self.finished:
            self.response.close()
        self.response.release_conn()


def _check_encoding(header: str, url: str) -> None:
    # urllib3 decodes every comma-separated token in turn, a blank or "identity" one as
    # deflate: "identity, gzip" and "gzip," are two layers. Only one plain layer is read.
    tokens = [token.strip().lower() for token in header.split(",")] if header.strip() else []
    if len(tokens) > 1:
        raise FetchError("nested content encodings are refused", url=url)
    if tokens and tokens[0] != "identity" and tokens[0] not in ACCEPTED_ENCODINGS:
        raise FetchError(
            f"content encoding {tokens[0][:40]!r} was not asked for and is refused", url=url
        )


def _failure(exc: BaseException, url: str, deadline: Deadline) -> FetchError:
    if deadline.expired:
        return FetchTimeout("the lookup took longer than its deadline", url=url)
    return FetchError(_describe_connection_error(exc), url=url)


def _describe_connection_error(exc: BaseException) -> str:
    text = str(exc)
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "the host name does not resolve"
    if "refused" in text.lower():
        return "the connection was refused"
    return "the connection failed"
