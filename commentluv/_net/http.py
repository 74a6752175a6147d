"""The one module that opens sockets: :class:`HTTPTransport`, HTTP/1.1 over plain and TLS
sockets, with :mod:`.wire` parsing what they carry.

For every request it enforces the address policy on every address a name resolves to,
connecting to the checked address so DNS cannot change its answer in between; arms each
socket with the lookup's deadline watchdog; resolves names in a thread the deadline can
abandon; keeps connections alive per host for the lookup's next request; and decodes only the
content encodings it asked for, in bounded steps.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi

from ..errors import CommentLuvError, FetchError, FetchTimeout, InvalidURL
from .deadline import Deadline
from .policy import AddressPolicy
from .resolve import Resolver, ResolverThreads, resolve, system_resolver
from .transport import CHUNK_SIZE, Request, TransportResponse
from .wire import (
    MAX_FIELD_LINES,
    MAX_HEAD_BYTES,
    MAX_LINE_BYTES,
    Framing,
    Inflater,
    MalformedResponse,
    ResponseHead,
    check_encoding,
    framing,
    head_end,
    parse_chunk_size,
    parse_head,
    request_bytes,
    request_target,
)

__all__ = ["HTTPTransport", "Resolver", "system_resolver"]

logger = logging.getLogger("commentluv")


class HTTPTransport:
    """The real transport: HTTP/1.1 over guarded sockets, kept alive per host. Thread-safe.

    ``connect_timeout``/``read_timeout`` bound each socket operation (the deadline bounds the
    whole lookup); ``resolver`` maps a host to the addresses to try (default: the system's);
    ``verify`` checks TLS certificates against certifi's CA bundle (True), another bundle
    (a path) or not at all (False: tests only). No proxy, ``.netrc`` or cookie is ever used: a
    lookup is anonymous and goes where the policy says. Idle connections are kept per address
    policy, so a connection opened under a permissive policy is never reused under a strict
    one.
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
        self._resolvers = ResolverThreads(self.resolver)
        self._idle = _IdleConnections()
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def send(
        self, request: Request, *, policy: AddressPolicy, deadline: Deadline
    ) -> TransportResponse:
        url = request.url
        remaining = deadline.remaining()  # read once: a later read could find it spent
        if remaining <= 0:
            raise FetchTimeout("the lookup took longer than its deadline", url=url)
        target = _Target.of(url)
        key = (policy, target.scheme, target.host, target.port)
        try:
            message = request_bytes(
                target.path, {"Host": target.host_field, **_HEADERS, **request.headers}
            )
        except ValueError as exc:  # a header value that would end its line, say
            raise FetchError(str(exc), url=url) from None
        try:
            connection = self._idle.take(key) or self._open(target, policy, deadline)
            deadline.watch(connection.sock)  # a kept one was let go by the lookup that kept it
            connection.sock.settimeout(min(self.read_timeout, remaining))
            try:
                connection.sock.sendall(message)
                head = connection.read_head()
                body = _Body(connection, head, url, deadline, self._idle, key)
            except BaseException:
                connection.close()
                raise
        except CommentLuvError as exc:
            exc.url = exc.url or url  # raised where only the host was known
            raise
        except Exception as exc:
            raise _failure(exc, url, deadline) from exc
        return TransportResponse(
            head.status, head.headers, body, reason=head.reason, on_close=body.close
        )

    def close(self) -> None:
        self._idle.close()
        self._resolvers.close()

    def _open(self, target: _Target, policy: AddressPolicy, deadline: Deadline) -> _Connection:
        addresses = resolve(self._resolvers, target.host, target.port, deadline)
        for address in addresses:
            policy.check_address(address)
        sock = _connect(addresses, target.port, deadline, self.connect_timeout)
        if target.scheme == "https":
            try:
                tls = self._tls_context().wrap_socket(
                    sock, server_hostname=target.host, do_handshake_on_connect=False
                )
            except BaseException:
                sock.close()
                raise
            # The wrap took over the descriptor: the watchdog must shut the TLS socket down.
            deadline.watch(tls)
            try:
                tls.do_handshake()
            except BaseException:
                tls.close()
                raise
            sock = tls
        return _Connection(sock)

    def _tls_context(self) -> ssl.SSLContext:
        # Built on the first https request: loading the CA bundle takes milliseconds.
        with self._lock:
            if self._tls is None:
                if self.verify:
                    cafile = self.verify if isinstance(self.verify, str) else certifi.where()
                    context = ssl.create_default_context(cafile=cafile)
                else:
                    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                context.set_alpn_protocols(["http/1.1"])
                self._tls = context
            return self._tls


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a URL's request goes: scheme, host (as the policy read it), port, the Host
    field and the request target."""

    scheme: str
    host: str
    port: int
    host_field: str
    path: str

    @classmethod
    def of(cls, url: str) -> _Target:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
        try:
            port = parts.port
        except ValueError:
            port = -1
        if scheme not in _DEFAULT_PORTS or not host or port == -1:
            raise InvalidURL("not an http(s) URL with a host and a valid port", url=url)
        default = _DEFAULT_PORTS[scheme]
        shown = f"[{host}]" if ":" in host else host
        host_field = shown if port in (None, default) else f"{shown}:{port}"
        return cls(
            scheme, host, port or default, host_field, request_target(parts.path, parts.query)
        )


_DEFAULT_PORTS = {"http": 80, "https": 443}

# Sent with every request: only what wire.ACCEPTED_ENCODINGS can decode.
_HEADERS = {"Accept-Encoding": "gzip, deflate"}


class _Connection:
    """One socket and the bytes read from it that the current response has not used yet."""

    __slots__ = ("buffer", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def read_head(self) -> ResponseHead:
        """The next response's head; a few informational (1xx) responses are skipped."""
        for _ in range(_MAX_INTERIM_RESPONSES + 1):
            head = parse_head(self._read_until_head())
            if head.status >= 200:
                return head
            if head.status == 101:
                raise MalformedResponse("the server switched protocols unasked")
        raise MalformedResponse(f"more than {_MAX_INTERIM_RESPONSES} informational responses")

    def _read_until_head(self) -> bytes:
        searched = 0
        while (end := head_end(self.buffer, searched)) < 0 and len(self.buffer) <= MAX_HEAD_BYTES:
            searched = max(0, len(self.buffer) - 2)
            if not self._fill():
                raise ConnectionError("the server closed the connection without answering")
        if not 0 <= end <= MAX_HEAD_BYTES:
            raise MalformedResponse(f"the response head is over {MAX_HEAD_BYTES} bytes")
        head = bytes(self.buffer[:end])
        del self.buffer[:end]
        return head

    def _fill(self) -> bool:
        data = self.sock.recv(CHUNK_SIZE)
        self.buffer += data
        return bool(data)

    def body(self, frame: Framing) -> Iterator[bytes]:
        """The body's bytes as sent (still content-encoded)."""
        if frame.kind == "length":
            yield from self._exactly(frame.length)
        elif frame.kind == "chunked":
            while size := parse_chunk_size(self._line()):
                yield from self._exactly(size)
                if self._line():
                    raise MalformedResponse("a chunk is longer than its size")
            for _ in range(MAX_FIELD_LINES + 1):  # trailer fields: not used
                if not self._line():
                    return
            raise MalformedResponse(f"more than {MAX_FIELD_LINES} trailer fields")
        elif frame.kind == "close":
            while self.buffer or self._fill():
                chunk, self.buffer = bytes(self.buffer), bytearray()
                yield chunk

    def _exactly(self, count: int) -> Iterator[bytes]:
        while count > 0:
            if not self.buffer and not self._fill():
                raise ConnectionError("the server closed the connection in the middle of a body")
            chunk = bytes(self.buffer[:count])
            del self.buffer[: len(chunk)]
            count -= len(chunk)
            yield chunk

    def _line(self) -> bytes:
        while (end := self.buffer.find(b"\n")) < 0:
            if len(self.buffer) > MAX_LINE_BYTES:
                raise MalformedResponse(f"a chunk line is over {MAX_LINE_BYTES} bytes")
            if not self._fill():
                raise ConnectionError("the server closed the connection in the middle of a body")
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        return line.rstrip(b"\r")

    def drain(self, rest: Iterator[bytes]) -> bool:
        """Read the ``rest`` of a body if it has already arrived, never waiting for more, up
        to ``_DRAIN_BYTES``: reading it costs less than a new connection (and handshake)."""
        self.sock.settimeout(0)  # the next request sets its own
        drained = 0
        try:
            for chunk in rest:
                drained += len(chunk)
                if drained > _DRAIN_BYTES:
                    return False
        except (OSError, MalformedResponse):  # BlockingIOError: the rest is still on its way
            return False
        return True

    def is_dropped(self) -> bool:
        """True when a kept connection was closed by the server (or sent bytes unasked)."""
        if self.buffer:
            return True
        if not hasattr(select, "poll"):  # Windows; select() is fine for its sockets
            return bool(select.select([self.sock], [], [], 0)[0])
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        self.sock.close()


_DRAIN_BYTES = 64 * 1024
_MAX_INTERIM_RESPONSES = 8
_Key = tuple[AddressPolicy, str, str, int]


class _IdleConnections:
    """Connections kept alive for their next request, per policy, scheme, host and port: at
    most ``_PER_HOST`` each, for the ``_MAX_HOSTS`` hosts used last."""

    def __init__(self) -> None:
        self._idle: OrderedDict[_Key, list[_Connection]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: _Key) -> _Connection | None:
        while True:
            with self._lock:
                kept = self._idle.get(key)
                if not kept:
                    return None
                connection = kept.pop()
            if not connection.is_dropped():
                return connection
            connection.close()

    def put(self, key: _Key, connection: _Connection) -> None:
        evicted: list[_Connection] = []
        with self._lock:
            kept = self._idle.setdefault(key, [])
            self._idle.move_to_end(key)
            if len(kept) < _PER_HOST:
                kept.append(connection)
            else:
                evicted.append(connection)
            while len(self._idle) > _MAX_HOSTS:
                evicted += self._idle.popitem(last=False)[1]
        for old in evicted:
            old.close()

    def close(self) -> None:
        with self._lock:
            kept, self._idle = list(self._idle.values()), OrderedDict()
        for connections in kept:
            for connection in connections:
                connection.close()


_PER_HOST = 4
_MAX_HOSTS = 64


class _Body:
    """A response body, decoded and read in chunks under the deadline. A connection read to
    the end goes back to the kept ones if it can carry another request; so does one whose
    unread rest has already arrived (a page read only up to its ``</head>``, say); any other
    is closed (the unread bytes would start the next reply)."""

    def __init__(
        self,
        connection: _Connection,
        head: ResponseHead,
        url: str,
        deadline: Deadline,
        idle: _IdleConnections,
        key: _Key,
    ) -> None:
        self.connection: _Connection | None = connection
        self.frame = framing(head)
        self.coding = head.headers.get("content-encoding", "")
        self.url = url
        self.deadline = deadline
        self.idle = idle
        self.key = key
        self.raw: Iterator[bytes] | None = None  # the body as sent, once reading started
        if self.frame.kind == "empty":
            self.close()

    def __iter__(self) -> Iterator[bytes]:
        connection = self.connection
        if connection is None:
            return
        try:
            # Checked when the body is first read: a redirect or an error status comes first.
            coding = check_encoding(self.coding)
            inflater = Inflater(coding) if coding != "identity" else None
            self.raw = connection.body(self.frame)
            for chunk in self.raw:
                if inflater is None:
                    yield chunk
                else:
                    yield from inflater.feed(chunk)
        except MalformedResponse as exc:
            raise FetchError(str(exc), url=self.url) from None
        except OSError as exc:
            if self.deadline.expired or isinstance(exc, TimeoutError):
                raise FetchTimeout(
                    "the lookup took longer than its deadline", url=self.url
                ) from exc
            raise FetchError(f"the connection broke while reading: {exc}", url=self.url) from exc
        self.close()

    def close(self) -> None:
        """Keep the connection when it can carry another request and the rest of the body
        (nothing, once read to its end) has already arrived; else close it."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        rest = self.raw if self.raw is not None else connection.body(self.frame)
        if self.frame.reusable and connection.drain(rest):
            self.deadline.unwatch(connection.sock)  # the next lookup to take it watches it
            self.idle.put(self.key, connection)
        else:
            connection.close()


def _connect(
    addresses: Sequence[str], port: int, deadline: Deadline, timeout: float
) -> socket.socket:
    last_error: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            deadline.watch(sock)
            sock.settimeout(min(timeout, deadline.remaining()))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect((address, port))
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
            if deadline.expired:
                break
    if isinstance(last_error, TimeoutError) or deadline.expired:
        raise FetchTimeout("connection timed out")
    if isinstance(last_error, ConnectionRefusedError):
        raise FetchError("the connection was refused")
    raise FetchError("the connection failed")


def _failure(exc: BaseException, url: str, deadline: Deadline) -> FetchError:
    if deadline.expired or isinstance(exc, TimeoutError):
        return FetchTimeout("the lookup took longer than its deadline", url=url)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return FetchError("TLS handshake or certificate verification failed", url=url)
    if isinstance(exc, MalformedResponse):
        return FetchError(f"the server's response is not HTTP/1.x: {exc}", url=url)
    return FetchError("the connection failed", url=url)
