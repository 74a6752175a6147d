"""The one module that opens sockets: :class:`HTTPTransport`, HTTP/1.1 over plain and TLS
sockets, with h11 reading and writing what they carry.

For every request it enforces the address policy on every address a name resolves to,
connecting to the checked address so DNS cannot change its answer in between (trying the
next address 250 ms after the first when that one has not answered yet); arms each socket
with the lookup's deadline watchdog; resolves names in a thread the deadline can abandon;
keeps connections alive per host for the lookup's next request, and only those h11 saw end
cleanly; and decodes only the content encodings it asked for, in bounded steps, reading no
more off the wire than the caller's cap allows.
"""

from __future__ import annotations

import functools
import logging
import os
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import certifi
import h11

from .._shared.urls import DEFAULT_PORTS
from ..errors import CommentLuvError, FetchError, FetchTimeout, InvalidURL, ResponseTooLarge
from .deadline import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, Deadline
from .policy import INVALID_PORT, AddressPolicy, url_parts
from .resolve import Resolver, ResolverThreads, resolve, system_resolver
from .transport import CHUNK_SIZE, Request, TransportResponse
from .wire import (
    MAX_FIELD_LINES,
    MAX_HEAD_BYTES,
    MAX_LINE_BYTES,
    Inflater,
    MalformedResponse,
    check_encoding,
    request_target,
)

__all__ = ["HTTPTransport", "Resolver", "system_resolver"]

logger = logging.getLogger("commentluv")


class HTTPTransport:
    """The real transport: HTTP/1.1 over guarded sockets, kept alive per host. Thread-safe.

    ``connect_timeout``/``read_timeout`` bound each socket operation (the deadline bounds the
    whole lookup); ``resolver`` maps a host to the addresses to try (default: the system's).
    TLS certificates are checked against ``ca_bundle`` (a PEM file) when given; else against
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when either is set (OpenSSL's convention); else the
    operating system's store when the ``truststore`` package is installed
    (``pip install commentluv[truststore]``); else certifi's bundle. ``verify=False`` skips
    the check: tests only. No proxy, ``.netrc`` or cookie is ever used: a lookup is anonymous
    and goes where the policy says. Idle connections are kept per address policy, so a
    connection opened under a permissive policy is never reused under a strict one.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        resolver: Resolver | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool | str = True,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.resolver = resolver or system_resolver
        self.ca_bundle = os.fspath(ca_bundle) if ca_bundle is not None else None
        if isinstance(verify, str):  # a bundle's path, as before ca_bundle=
            self.ca_bundle, verify = verify, True
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
        message = _message(target, request.headers, url)
        try:
            connection = self._idle.take(key)
            try:
                response = self._exchange(connection, message, target, policy, deadline)
            except _NoAnswer:
                # The server closed the kept connection as the request went out (its idle
                # timeout): nothing was answered, so the GET goes once more, on a new one.
                response = self._exchange(None, message, target, policy, deadline)
            connection, head = response
            body = _Body(connection, head, url, deadline, self._idle, key, request.read_limit)
        except CommentLuvError as exc:
            exc.url = exc.url or url  # raised where only the host was known
            raise
        except _HeadTooLarge as exc:
            raise ResponseTooLarge(str(exc), url=url) from None
        except Exception as exc:
            raise _failure(exc, url, deadline) from exc
        return TransportResponse(
            head.status, head.headers, body, reason=head.reason, on_close=body.close
        )

    def _exchange(
        self,
        kept: _Connection | None,
        message: h11.Request,
        target: _Target,
        policy: AddressPolicy,
        deadline: Deadline,
    ) -> tuple[_Connection, _Head]:
        """Send ``message`` on the ``kept`` connection (else a new one) and read the head of
        its response. :class:`_NoAnswer` when a kept connection ended without a byte."""
        if kept is None:
            connection = self._open(target, policy, deadline)  # watched as it was opened
        else:
            connection = kept
            deadline.watch(connection.sock)  # let go by the lookup that kept it
        connection.sock.settimeout(min(self.read_timeout, deadline.remaining()))
        try:
            connection.send_request(message)
            return connection, connection.read_head()
        except (OSError, h11.RemoteProtocolError, MalformedResponse) as exc:
            connection.close()
            if kept is None or connection.received or _timed_out(exc, deadline):
                raise
            raise _NoAnswer from exc
        except BaseException:
            connection.close()
            raise

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
        # Built on the first https request: loading a CA bundle takes milliseconds.
        with self._lock:
            if self._tls is None:
                self._tls = _tls_context(self.ca_bundle, verify=self.verify)
            return self._tls


def _tls_context(ca_bundle: str | None, *, verify: bool) -> ssl.SSLContext:
    if not verify:  # tests only: HTTPTransport(verify=False)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_bundle is not None:
        context = ssl.create_default_context(cafile=ca_bundle)
    elif os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        context = ssl.create_default_context(
            cafile=os.environ.get("SSL_CERT_FILE") or None,
            capath=os.environ.get("SSL_CERT_DIR") or None,
        )
    else:
        context = _system_store() or ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context


def _system_store() -> ssl.SSLContext | None:
    """The operating system's trust store, when the optional truststore package is there."""
    try:
        import truststore
    except ImportError:
        return None
    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return context


class _Target(NamedTuple):
    """Where a URL's request goes: scheme, host (as the policy read it), port, the Host
    field and the request target. (A tuple: one is built per request.)"""

    scheme: str
    host: str
    port: int
    host_field: str
    path: str

    @classmethod
    def of(cls, url: str) -> _Target:
        # The split the policy's check of this URL made (cached): read once, checked twice.
        scheme, _, host, port, path, query = url_parts(url)
        if scheme not in DEFAULT_PORTS or not host or port == INVALID_PORT:
            raise InvalidURL("not an http(s) URL with a host and a valid port", url=url)
        default = DEFAULT_PORTS[scheme]
        shown = f"[{host}]" if ":" in host else host
        host_field = shown if port in (None, default) else f"{shown}:{port}"
        return cls(scheme, host, port or default, host_field, request_target(path, query))


# Sent with every request: only what wire.ACCEPTED_ENCODINGS can decode.
_HEADERS = {"Accept-Encoding": "gzip, deflate"}


def _message(target: _Target, headers: Mapping[str, str], url: str) -> h11.Request:
    """The GET request for ``target``. A field name that is not a token or a value that
    could end its line is refused (h11 checks both): a validator stored from one server
    must never smuggle a field to another."""
    fields = {"Host": target.host_field, **_HEADERS, **headers}
    try:
        encoded = list(map(_encoded_field, fields.keys(), fields.values()))
        return h11.Request(method="GET", target=target.path, headers=encoded)
    except UnicodeEncodeError:
        raise FetchError("refusing to send a header field that is not Latin-1", url=url) from None
    except h11.LocalProtocolError as exc:
        raise FetchError(f"refusing to send the header field: {exc}", url=url) from None


@functools.lru_cache(maxsize=256)
def _encoded_field(name: str, value: str) -> tuple[bytes, bytes]:
    # Cached: most fields (the user agent, Accept, Accept-Encoding) are the same on every
    # request, and the page's Host again on the feed's.
    return name.encode("ascii"), value.encode("latin-1")


class _Head(NamedTuple):
    """A final response's status, reason and fields (lower-case names, as h11 gives them;
    repeated fields joined with ", ", RFC 9110 section 5.3). (A tuple: one per response.)"""

    status: int
    reason: str
    headers: dict[str, str]


class _NoAnswer(Exception):
    """A kept connection ended before any byte of the response to the request sent on it."""


class _HeadTooLarge(Exception):
    """The response head is over :data:`MAX_HEAD_BYTES`."""


_HEAD_TOO_LARGE = f"the response head is over {MAX_HEAD_BYTES} bytes"
# A GET has no body: every request ends with this event (h11's events are immutable, so
# one serves them all; building one per request cost a header validation each time).
_END_OF_MESSAGE = h11.EndOfMessage()


class _Connection:
    """One socket and h11's state for it: what was sent, what the server's bytes mean."""

    __slots__ = ("closing", "h11", "received", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        # h11 refuses an incomplete head (or chunk line, or trailer block) over this many
        # bytes; read_head refuses a complete one.
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.received = 0  # bytes of the current response read off the socket
        self.closing = False  # True once a response's framing makes the connection unfit

    def send_request(self, message: h11.Request) -> None:
        self.received = 0
        data = self.h11.send(message)
        end = self.h11.send(_END_OF_MESSAGE)
        self.sock.sendall((data or b"") + (end or b""))  # None only for ConnectionClosed

    def read_head(self) -> _Head:
        """The final response's head; a few informational (1xx) responses are skipped."""
        self._receive(wait=True)  # nothing has come yet: asking h11 first would cost a call
        for _ in range(_MAX_INTERIM_RESPONSES + 1):
            try:
                event = self.next_event()
            except h11.RemoteProtocolError as exc:
                if exc.error_status_hint == 431:  # h11's "receive buffer too long"
                    raise _HeadTooLarge(
                        f"the response head is over {MAX_HEAD_BYTES} bytes"
                    ) from None
                raise
            if isinstance(event, h11.Response):
                headers = self._checked_fields(event)
                return _Head(event.status_code, event.reason.decode("latin-1"), headers)
            if not isinstance(event, h11.InformationalResponse):
                raise MalformedResponse("the server closed the connection without answering")
        raise MalformedResponse(f"more than {_MAX_INTERIM_RESPONSES} informational responses")

    def _checked_fields(self, response: h11.Response) -> dict[str, str]:
        # raw_items(): a list, where iterating (or measuring) h11's Headers calls its methods.
        fields = response.headers.raw_items()
        if len(fields) > MAX_FIELD_LINES:
            raise MalformedResponse(f"more than {MAX_FIELD_LINES} header fields")
        headers: dict[str, str] = {}
        for raw_name, raw_value in fields:
            name, value = raw_name.lower().decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        # Both framings at once is how responses are smuggled: h11 reads the chunks (RFC
        # 9112); the connection is not trusted with another request after it.
        self.closing = "transfer-encoding" in headers and "content-length" in headers
        # h11 bounds a head that is still arriving; one that came whole in a last read
        # is measured here (what h11 holds after it is the body's start).
        if self.received > MAX_HEAD_BYTES:
            head = self.received - len(self.h11.trailing_data[0])
            if head > MAX_HEAD_BYTES:
                raise _HeadTooLarge(_HEAD_TOO_LARGE)
        return headers

    def next_event(self, *, wait: bool = True) -> object:
        """h11's next event, reading the socket when h11 needs more (only what has
        already arrived unless ``wait``: BlockingIOError when nothing has)."""
        while (event := self.h11.next_event()) is h11.NEED_DATA:
            if self.h11.their_state is h11.SEND_BODY and self._holds_a_long_line():
                raise MalformedResponse(f"a chunk line is over {MAX_LINE_BYTES} bytes")
            self._receive(wait=wait)
        return event

    def _receive(self, *, wait: bool) -> None:
        data = self.sock.recv(CHUNK_SIZE) if wait else _recv_now(self.sock)
        if not data and not self.received:
            raise ConnectionError("the server closed the connection without answering")
        self.received += len(data)
        self.h11.receive_data(data)

    def _holds_a_long_line(self) -> bool:
        # Body data is handed out as it arrives: what h11 keeps back mid-body is a chunk
        # line (or the trailer block) not complete yet.
        return len(self.h11.trailing_data[0]) > MAX_LINE_BYTES

    def reusable(self) -> bool:
        """Ready for the next request: both sides DONE, the next cycle started, no byte
        received that no request asked for, and the server has not closed its side (h11
        calls a close-delimited HTTP/1.1 body DONE)."""
        if self.closing:
            return False
        unread, closed = self.h11.trailing_data
        if unread or closed:  # bytes nobody asked for, or a body that ended with the close
            return False
        try:
            # h11 refuses unless both sides are DONE (its documented rule; a side that must
            # close never is): reading each side's state first cost two more calls.
            self.h11.start_next_cycle()
        except h11.LocalProtocolError:  # not DONE, the server said it closes, or HTTP/1.0
            return False
        return True

    def is_dropped(self) -> bool:
        """True when a kept connection was closed by the server or sent bytes unasked
        (on TLS, bytes OpenSSL already decrypted are invisible to poll: pending())."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        if not hasattr(select, "poll"):  # Windows; select() is fine for its sockets
            return bool(select.select([self.sock], [], [], 0)[0])
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        self.sock.close()


def _recv_now(sock: socket.socket) -> bytes:
    sock.settimeout(0)  # the next request sets its own
    return sock.recv(CHUNK_SIZE)


_MAX_INTERIM_RESPONSES = 8
_DRAIN_BYTES = 64 * 1024
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
    """A response body, decoded and read in chunks under the deadline and ``read_limit``
    (bytes off the wire). The connection goes back to the kept ones only when h11 saw the
    response end cleanly: read to its end, or with a small rest that has already arrived
    (a page read only up to its ``</head>``, say). A read that failed closes it."""

    def __init__(
        self,
        connection: _Connection,
        head: _Head,
        url: str,
        deadline: Deadline,
        idle: _IdleConnections,
        key: _Key,
        read_limit: int | None,
    ) -> None:
        self.connection: _Connection | None = connection
        self.coding = head.headers.get("content-encoding", "")
        self.url = url
        self.deadline = deadline
        self.idle = idle
        self.key = key
        self.read_limit = read_limit
        self.failed = False

    def __iter__(self) -> Iterator[bytes]:
        connection = self.connection
        if connection is None:
            return
        try:
            # Checked when the body is first read: a redirect or an error status comes first.
            coding = check_encoding(self.coding)
            inflater = Inflater(coding) if coding != "identity" else None
            yield from self._decoded(connection, inflater)
        except GeneratorExit:  # the reader stopped early: close() decides about the rest
            raise
        except BaseException as exc:
            self.failed = True
            self.close()
            raise self._error(exc) from exc
        self.close()

    def _decoded(self, connection: _Connection, inflater: Inflater | None) -> Iterator[bytes]:
        read = 0
        while isinstance(event := connection.next_event(), h11.Data):
            read += len(event.data)
            if self.read_limit is not None and read > self.read_limit:
                raise ResponseTooLarge(f"the body is over {self.read_limit} bytes on the wire")
            if inflater is None:
                yield bytes(event.data)
                continue
            yield from inflater.feed(bytes(event.data))
            if inflater.done:  # bytes after the compressed stream are not the document
                return
        if isinstance(event, h11.EndOfMessage) and len(event.headers) > MAX_FIELD_LINES:
            raise MalformedResponse(f"more than {MAX_FIELD_LINES} trailer fields")

    def _error(self, exc: BaseException) -> BaseException:
        if isinstance(exc, CommentLuvError):
            return exc
        if _timed_out(exc, self.deadline):  # the watchdog's shutdown reads as a close
            return FetchTimeout("the lookup took longer than its deadline", url=self.url)
        if isinstance(exc, MalformedResponse | h11.RemoteProtocolError):
            return FetchError(f"the server's response is not HTTP/1.x: {exc}", url=self.url)
        if isinstance(exc, OSError):
            return FetchError(f"the connection broke while reading: {exc}", url=self.url)
        return exc

    def close(self) -> None:
        """Keep the connection when h11 saw its response end cleanly (reading a rest that
        has already arrived, up to ``_DRAIN_BYTES``); else close it."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        if not self.failed and _drained(connection) and connection.reusable():
            self.deadline.unwatch(connection.sock)  # the next lookup to take it watches it
            self.idle.put(self.key, connection)
        else:
            connection.close()


def _drained(connection: _Connection) -> bool:
    """Read the rest of a response if it has already arrived, never waiting for more:
    reading it costs less than a new connection (and handshake)."""
    start = connection.received
    try:
        while connection.h11.their_state is h11.SEND_BODY:
            connection.next_event(wait=False)
            if connection.received - start > _DRAIN_BYTES:
                return False
    except (OSError, MalformedResponse, h11.RemoteProtocolError):
        return False  # BlockingIOError: the rest is still on its way
    return True


# The next address is tried this long after the previous one if that one has not connected
# (RFC 8305's "Connection Attempt Delay").
_ATTEMPT_DELAY = 0.25


def _connect(
    addresses: Sequence[str], port: int, deadline: Deadline, timeout: float
) -> socket.socket:
    """A socket connected to the first of ``addresses`` to answer: attempts start one after
    another, ``_ATTEMPT_DELAY`` apart, alternating IPv6 and IPv4 (RFC 8305 in spirit); each
    attempt gives up after ``timeout``, all of them at the deadline."""
    if len(addresses) == 1:  # nothing to race: one blocking connect costs fewer calls
        return _connect_one(addresses[0], port, deadline, timeout)
    attempts = _Attempts(_interleaved(addresses), port, deadline, timeout)
    try:
        sock = attempts.run()
    finally:
        attempts.close()
    sock.settimeout(min(timeout, deadline.remaining()))  # for the TLS handshake
    return sock


def _connect_one(address: str, port: int, deadline: Deadline, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
    try:
        deadline.watch(sock)
        sock.settimeout(min(timeout, deadline.remaining()))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((address, port))
    except OSError as exc:
        sock.close()
        raise _connect_failure(exc, deadline) from None
    return sock


def _connect_failure(error: OSError | None, deadline: Deadline) -> FetchError:
    if isinstance(error, TimeoutError) or deadline.expired:
        return FetchTimeout("connection timed out")
    if isinstance(error, ConnectionRefusedError):  # OSError(ECONNREFUSED, ...) is one
        return FetchError("the connection was refused")
    return FetchError("the connection failed")


def _interleaved(addresses: Sequence[str]) -> list[str]:
    """The resolver's order, alternating families from the first one's."""
    first = [a for a in addresses if (":" in a) == (":" in addresses[0])]
    other = [a for a in addresses if (":" in a) != (":" in addresses[0])]
    mixed = [a for pair in zip(first, other, strict=False) for a in pair]
    shorter = min(len(first), len(other))
    return mixed + first[shorter:] + other[shorter:]


class _Attempts:
    """Connection attempts under way, by socket, with when each started."""

    def __init__(self, addresses: list[str], port: int, deadline: Deadline, timeout: float):
        self.waiting = addresses
        self.port = port
        self.deadline = deadline
        self.timeout = timeout
        self.pending: dict[socket.socket, float] = {}
        self.last_error: OSError | None = None

    def run(self) -> socket.socket:
        next_start = 0.0
        while True:
            now = time.monotonic()
            if self.waiting and (not self.pending or now >= next_start):
                connected = self._start(self.waiting.pop(0), now)
                if connected is not None:
                    return connected
                next_start = now + _ATTEMPT_DELAY
                continue
            if not self.pending or self.deadline.expired:
                raise _connect_failure(self.last_error, self.deadline)
            connected = self._wait(now, next_start)
            if connected is not None:
                return connected

    def _start(self, address: str, now: float) -> socket.socket | None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        self.deadline.watch(sock)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(0)
        try:
            sock.connect((address, self.port))
        except BlockingIOError:
            self.pending[sock] = now
            return None
        except OSError as exc:
            self._drop(sock, exc)
            return None
        return sock

    def _wait(self, now: float, next_start: float) -> socket.socket | None:
        until = min(started + self.timeout for started in self.pending.values())
        if self.waiting:
            until = min(until, next_start)
        wait = max(0.0, min(until - now, self.deadline.remaining()))
        for sock in _writable(list(self.pending), wait):
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            del self.pending[sock]
            if not error:
                return sock
            self._drop(sock, OSError(error, os.strerror(error)))
        now = time.monotonic()
        for sock, started in list(self.pending.items()):
            if now - started >= self.timeout:
                del self.pending[sock]
                self._drop(sock, TimeoutError("connection timed out"))
        return None

    def _drop(self, sock: socket.socket, error: OSError) -> None:
        self.deadline.unwatch(sock)
        sock.close()
        if not isinstance(self.last_error, TimeoutError):  # a timeout says the most
            self.last_error = error

    def close(self) -> None:
        """Close the attempts that lost (or were still under way at a failure)."""
        for sock in self.pending:
            self.deadline.unwatch(sock)
            sock.close()
        self.pending.clear()


def _writable(socks: list[socket.socket], wait: float) -> list[socket.socket]:
    if not hasattr(select, "poll"):  # Windows
        _, writable, failed = select.select([], socks, socks, wait)
        return list(dict.fromkeys(writable + failed))
    poller = select.poll()
    by_fd = {sock.fileno(): sock for sock in socks}
    for fd in by_fd:
        poller.register(fd, select.POLLOUT)
    return [by_fd[fd] for fd, _ in poller.poll(wait * 1000)]


def _timed_out(exc: BaseException, deadline: Deadline) -> bool:
    return deadline.expired or isinstance(exc, TimeoutError)


def _failure(exc: BaseException, url: str, deadline: Deadline) -> FetchError:
    if _timed_out(exc, deadline):
        return FetchTimeout("the lookup took longer than its deadline", url=url)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return FetchError("TLS handshake or certificate verification failed", url=url)
    if isinstance(exc, MalformedResponse | h11.RemoteProtocolError):
        return FetchError(f"the server's response is not HTTP/1.x: {exc}", url=url)
    return FetchError("the connection failed", url=url)
