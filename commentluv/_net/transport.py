"""The seam between the fetcher and the wire: the :class:`Transport` protocol, and
:class:`MockTransport` for tests.

A transport sends one GET request and returns the response with its body still to be read
(decoded of any content encoding). Everything above one request (redirects, the URL policy
on each hop, status errors, byte caps, early stops, the deadline between reads) is the
fetcher's, and so works the same over every transport. A transport that opens sockets must
check each address it connects to with ``policy.check_address`` and arm each socket with
``deadline.watch``; :class:`~commentluv._net.http.HTTPTransport` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .deadline import Deadline
from .policy import AddressPolicy

__all__ = [
    "CHUNK_SIZE",
    "MockResponse",
    "MockTransport",
    "Request",
    "Transport",
    "TransportResponse",
]

CHUNK_SIZE = 16 * 1024


@dataclass(frozen=True)
class Request:
    """One GET request: an absolute http(s) URL and its headers. ``read_limit`` caps the
    body's bytes as they come off the wire (before decoding): beyond it, reading fails with
    :class:`~commentluv.errors.ResponseTooLarge`."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    read_limit: int | None = None


class TransportResponse:
    """A response whose body is still to be read: status, reason, headers (lower-case names)
    and the decoded body as an iterator of chunks. Close it (or use ``with``) when done."""

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        chunks: Iterable[bytes],
        *,
        reason: str = "",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        # Built by C loops alone (no Python step per field): one per response.
        self.headers = dict(zip(map(str.lower, headers.keys()), headers.values(), strict=True))
        self._chunks = iter(chunks)
        self._on_close = on_close

    def iter_chunks(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> TransportResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Transport(Protocol):
    """Sends one request. Raises :class:`~commentluv.errors.FetchError` (and subclasses) or
    :class:`~commentluv.errors.BlockedURL`; never follows redirects."""

    def send(
        self, request: Request, *, policy: AddressPolicy, deadline: Deadline
    ) -> TransportResponse:
        """Send ``request`` within ``deadline``, connecting only where ``policy`` allows."""
        ...

    def close(self) -> None:
        """Release pooled connections."""
        ...


@dataclass(frozen=True)
class MockResponse:
    """What a :class:`MockTransport` handler answers: status, headers and the whole body."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str = b""
    reason: str = ""


class MockTransport:
    """A transport that answers from ``handler(request)`` without any network, for tests::

        def handler(request):
            if request.url == "https://jaden.example/":
                return MockResponse(headers={"Content-Type": "text/html"}, body=HOME)
            return MockResponse(404)

        luv = CommentLuv(transport=MockTransport(handler))

    The handler may raise a :class:`~commentluv.errors.CommentLuvError` to stand for a
    network failure. Bodies are handed out in network-sized chunks, so early stops behave as
    they do on the wire. ``requests`` records every request sent, in order.
    """

    def __init__(self, handler: Callable[[Request], MockResponse]) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def send(
        self, request: Request, *, policy: AddressPolicy, deadline: Deadline
    ) -> TransportResponse:
        with self._lock:
            self.requests.append(request)
        deadline.check(request.url)
        answer = self.handler(request)
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        chunks = (body[start : start + CHUNK_SIZE] for start in range(0, len(body), CHUNK_SIZE))
        return TransportResponse(answer.status, answer.headers, chunks, reason=answer.reason)

    def close(self) -> None:
        pass
