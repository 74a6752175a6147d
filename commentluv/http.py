"""The one module that touches the network.

:class:`Fetcher` sends GET requests with ``requests`` and enforces, for every request of a
lookup: the SSRF policy (checked on every URL and redirect hop, and again on every address a
name resolves to, connecting to the checked address so DNS cannot change its answer in
between), a total deadline (a watchdog shuts the sockets down when it passes, because
``requests``' own timeouts apply per socket operation, not to a whole transfer), and a cap on
decoded bytes enforced while streaming.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.cookiejar
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from ._urls import safe_http_url
from .errors import (
    BlockedURL,
    ChallengePage,
    CommentLuvError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    TooManyRedirects,
)
from .guard import AddressPolicy

__all__ = ["Deadline", "Fetcher", "Resolver", "Response", "system_resolver"]

logger = logging.getLogger("commentluv")

Resolver = Callable[[str, int], Sequence[str]]
"""Maps ``(host, port)`` to the IP addresses to try, in order."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 16 * 1024
# The codings the fetcher advertises (Accept-Encoding) and lets urllib3 decode. Any other one
# is refused rather than passed on: urllib3 would decode br or zstd whenever the brotli or
# zstandard package happens to be installed, so what gets decompressed (and how far a bomb
# expands) would depend on the environment instead of on this list.
ACCEPTED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (``getaddrinfo``), keeping its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Deadline:
    """A lookup's total time budget, with a watchdog that shuts down the lookup's sockets
    when it runs out (a slow-drip server cannot hold a socket past it)."""

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


def _shutdown(sock: socket.socket) -> None:
    # shutdown(), not close(): it wakes a thread blocked in recv() on this socket without
    # freeing the descriptor under it. The base-class call skips SSLSocket's override,
    # which would tear down the TLS state another thread is using.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@dataclass(frozen=True)
class _Scope:
    policy: AddressPolicy
    resolver: Resolver
    deadline: Deadline


# urllib3 builds connections deep inside requests, with no way to pass per-request data down;
# a context variable carries the current request's policy and deadline to them. It holds no
# state between requests: Fetcher.get sets it and resets it around each request.
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


@dataclass(frozen=True)
class Response:
    """A fetched document: final URL after redirects, status, headers (lower-case keys) and
    the decoded body (empty for 304; cut short when ``complete`` is False)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    complete: bool = True
    redirects: tuple[str, ...] = field(default=())


StopReading = Callable[[str, bytearray, Mapping[str, str]], bool]
"""Called after each chunk with the final URL, the body read so far (do not keep the
buffer) and the response headers; True stops reading."""


class Fetcher:
    """Sends guarded GET requests. Thread-safe; one per client."""

    def __init__(
        self,
        *,
        user_agent: str,
        policy: AddressPolicy,
        connect_timeout: float = 3.05,
        read_timeout: float = 5.0,
        max_redirects: int = 5,
        session: requests.Session | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.policy = policy
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_redirects = max_redirects
        self.resolver = resolver or system_resolver
        self.session = session or requests.Session()
        # No proxies, .netrc or REQUESTS_CA_BUNDLE from the environment, and no cookies:
        # a lookup is anonymous and must go where the policy says.
        self.session.trust_env = False
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = _GuardedAdapter(max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "User-Agent": user_agent,
                "Accept-Encoding": "gzip, deflate",  # see ACCEPTED_ENCODINGS
            }
        )

    def close(self) -> None:
        self.session.close()

    def get(
        self,
        url: str,
        *,
        deadline: Deadline,
        max_bytes: int,
        accept: str = "*/*",
        etag: str | None = None,
        last_modified: str | None = None,
        truncate: bool = False,
        stop: StopReading | None = None,
    ) -> Response:
        """GET ``url`` following up to ``max_redirects`` checked redirects.

        Raises :class:`BlockedURL`, :class:`FetchError` and its subclasses; error statuses
        (400 and up) raise :class:`HTTPStatusError`. With ``truncate`` a body over
        ``max_bytes`` is cut (``complete=False``) instead of refused; ``stop`` may end the
        read early. ``etag``/``last_modified`` make the request conditional (304 answers
        come back with an empty body).
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        token = _current_scope.set(_Scope(self.policy, self.resolver, deadline))
        try:
            return self._follow(url, headers, deadline, max_bytes, truncate, stop)
        finally:
            _current_scope.reset(token)

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        deadline: Deadline,
        max_bytes: int,
        truncate: bool,
        stop: StopReading | None,
    ) -> Response:
        hops: list[str] = []
        while True:
            self.policy.check_url(url)
            deadline.check(url)
            response = self._send(url, headers, deadline)
            with response:
                status = response.status_code
                location = response.headers.get("Location")
                if status in REDIRECT_STATUSES and location:
                    next_url = safe_http_url(location, base=url)
                    if next_url is None:
                        raise BlockedURL(f"redirect to a refused URL: {location[:200]}", url=url)
                    hops.append(url)
                    if next_url in hops:
                        raise TooManyRedirects("redirect loop", url=url)
                    if len(hops) > self.max_redirects:
                        raise TooManyRedirects(f"more than {self.max_redirects} redirects", url=url)
                    url = next_url
                    continue
                _raise_for_status(response, url)
                body, complete = (
                    (b"", True)
                    if status == 304
                    else self._read_body(response, url, deadline, max_bytes, truncate, stop)
                )
                return Response(
                    url=url,
                    status=status,
                    headers={key.lower(): value for key, value in response.headers.items()},
                    body=body,
                    complete=complete,
                    redirects=tuple(hops),
                )

    def _send(self, url: str, headers: dict[str, str], deadline: Deadline) -> requests.Response:
        remaining = deadline.remaining()
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        try:
            return self.session.get(
                url, headers=headers, stream=True, allow_redirects=False, timeout=timeout
            )
        except CommentLuvError as exc:
            # Raised by the guarded connection, which does not know the URL.
            exc.url = exc.url or url
            raise
        except requests.exceptions.Timeout:
            raise FetchTimeout("timed out", url=url) from None
        except requests.exceptions.SSLError:
            raise FetchError("TLS handshake or certificate verification failed", url=url) from None
        except (requests.exceptions.RequestException, OSError) as exc:
            if deadline.expired:
                raise FetchTimeout("the lookup took longer than its deadline", url=url) from None
            raise FetchError(_describe_connection_error(exc), url=url) from None

    def _read_body(
        self,
        response: requests.Response,
        url: str,
        deadline: Deadline,
        max_bytes: int,
        truncate: bool,
        stop: StopReading | None,
    ) -> tuple[bytes, bool]:
        encodings = [
            token.strip()
            for token in response.headers.get("Content-Encoding", "").split(",")
            if token.strip() and token.strip().lower() != "identity"
        ]
        if len(encodings) > 1:
            raise FetchError("nested content encodings are refused", url=url)
        if encodings and encodings[0].lower() not in ACCEPTED_ENCODINGS:
            raise FetchError(
                f"content encoding {encodings[0][:40]!r} was not asked for and is refused",
                url=url,
            )
        declared = response.headers.get("Content-Length", "")
        if not truncate and declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge(
                f"body of {declared} bytes is over the {max_bytes}-byte cap", url=url
            )
        body = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
                body += chunk
                if len(body) > max_bytes:
                    if not truncate:
                        raise ResponseTooLarge(f"body is over the {max_bytes}-byte cap", url=url)
                    return bytes(body[:max_bytes]), False
                if stop is not None and stop(url, body, response.headers):
                    return bytes(body), False
                deadline.check(url)
        except CommentLuvError:
            raise
        except (requests.exceptions.RequestException, OSError) as exc:
            if deadline.expired:
                raise FetchTimeout("the lookup took longer than its deadline", url=url) from None
            raise FetchError(f"the connection broke while reading: {exc}", url=url) from None
        return bytes(body), True


def _raise_for_status(response: requests.Response, url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (403, 429, 503) and "cf-mitigated" in response.headers:
        raise ChallengePage(f"HTTP {status}: an anti-bot challenge page", url=url, status=status)
    reason = response.reason or ""
    raise HTTPStatusError(f"HTTP {status} {reason}".strip(), url=url, status=status)


def _describe_connection_error(exc: BaseException) -> str:
    text = str(exc)
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "the host name does not resolve"
    if "refused" in text.lower():
        return "the connection was refused"
    return "the connection failed"
