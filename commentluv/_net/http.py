"""The one module that opens sockets: :class:`HTTPTransport`, over ``requests`` and urllib3.

For every request it enforces the address policy on every address a name resolves to,
connecting to the checked address so DNS cannot change its answer in between; arms each
socket with the lookup's deadline watchdog; resolves names in a thread the deadline can
abandon; and lets urllib3 decode only the content encodings it asked for.
"""

from __future__ import annotations

import contextvars
import http.cookiejar
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

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
    resolver: Resolver
    deadline: Deadline


# urllib3 builds connections deep inside requests, with no way to pass per-request data down;
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
    """Run the resolver in a daemon thread so that a hung DNS lookup cannot outlive the
    deadline (getaddrinfo cannot be interrupted)."""
    result: list[Sequence[str]] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(scope.resolver(host, port))
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)

    thread = threading.Thread(target=work, name="commentluv-dns", daemon=True)
    thread.start()
    thread.join(scope.deadline.remaining())
    if thread.is_alive():
        raise ConnectTimeoutError(conn, f"resolving {host} took longer than the deadline")
    if failure or not result or not result[0]:
        error = failure[0] if failure else socket.gaierror(f"{host} has no address")
        raise NameResolutionError(host, conn, error)  # type: ignore[arg-type]
    return result[0]


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


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose connections go through the SSRF guard and the deadline watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


class HTTPTransport:
    """The real transport: ``requests`` over guarded urllib3 connections. Thread-safe.

    ``connect_timeout``/``read_timeout`` bound each socket operation (the deadline bounds the
    whole lookup); ``resolver`` maps a host to the addresses to try (default: the system's);
    ``verify`` is ``requests``' TLS setting (True, or a CA bundle path). No proxy, ``.netrc``,
    CA bundle from the environment or cookie is ever used: a lookup is anonymous and goes
    where the policy says. Each address policy gets its own connection pools, so a connection
    opened under a permissive policy is never reused under a strict one.
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
        self._sessions: dict[AddressPolicy, requests.Session] = {}
        self._lock = threading.Lock()

    def send(
        self, request: Request, *, policy: AddressPolicy, deadline: Deadline
    ) -> TransportResponse:
        url = request.url
        remaining = deadline.remaining()
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        token = _current_scope.set(_Scope(policy, self.resolver, deadline))
        try:
            response = self._session(policy).get(
                url,
                headers=dict(request.headers),
                stream=True,
                allow_redirects=False,
                timeout=timeout,
                verify=self.verify,
            )
        except CommentLuvError:
            raise
        except requests.exceptions.Timeout as exc:
            raise FetchTimeout("timed out", url=url) from exc
        except requests.exceptions.SSLError as exc:
            raise FetchError("TLS handshake or certificate verification failed", url=url) from exc
        except (requests.exceptions.RequestException, OSError) as exc:
            if deadline.expired:
                raise FetchTimeout("the lookup took longer than its deadline", url=url) from exc
            raise FetchError(_describe_connection_error(exc), url=url) from exc
        finally:
            _current_scope.reset(token)
        return TransportResponse(
            response.status_code,
            response.headers,
            _chunks(response, url, deadline),
            reason=response.reason or "",
            on_close=response.close,
        )

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def _session(self, policy: AddressPolicy) -> requests.Session:
        with self._lock:
            session = self._sessions.get(policy)
            if session is None:
                session = self._sessions[policy] = _guarded_session()
            return session


def _guarded_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies, .netrc or REQUESTS_CA_BUNDLE from the environment
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["Accept-Encoding"] = "gzip, deflate"  # see ACCEPTED_ENCODINGS
    return session


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


def _chunks(response: requests.Response, url: str, deadline: Deadline) -> Iterator[bytes]:
    # Checked when the body is first read: a redirect or an error status is handled first.
    _check_encoding(response.headers.get("Content-Encoding", ""), url)
    try:
        yield from response.iter_content(chunk_size=CHUNK_SIZE)
    except CommentLuvError:
        raise
    except (requests.exceptions.RequestException, OSError) as exc:
        if deadline.expired:
            raise FetchTimeout("the lookup took longer than its deadline", url=url) from exc
        raise FetchError(f"the connection broke while reading: {exc}", url=url) from exc


def _describe_connection_error(exc: BaseException) -> str:
    text = str(exc)
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "the host name does not resolve"
    if "refused" in text.lower():
        return "the connection was refused"
    return "the connection failed"
