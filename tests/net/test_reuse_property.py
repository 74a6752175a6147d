"""Property: a kept connection never carries the first response's leftovers into the second.

Hypothesis writes a first response (valid, cut short, with bytes after it, or any bytes at
all), cut into pieces at arbitrary points, then a second request goes to the same host. The
server's stand-in socket answers the second request with a marker response, preceded by a
fake response when the first did not end cleanly (the rest of a stalled body, arriving
late). The second response must always be the marker.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
from collections.abc import Iterator

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commentluv._net import http as http_module
from commentluv._net.deadline import Deadline
from commentluv._net.fetcher import Fetcher
from commentluv._net.http import HTTPTransport
from commentluv._net.policy import AddressPolicy
from commentluv.errors import FetchError

MARKER = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nSECOND"
LATE = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"


class ScriptedSocket:
    """Stands in for a connected socket: ``recv`` hands out queued pieces in order; once
    they run out the server stalls (TimeoutError) or closes (b""). While pieces are queued,
    a socketpair behind ``fileno`` is readable, so poll() sees what a real socket would."""

    def __init__(self, pieces: list[bytes], *, ending: str, late: bytes) -> None:
        self._readable, self._writer = socket.socketpair()
        self.queue: list[bytes] = []
        self.ending = ending
        self.late = late  # what the server sends once the second request arrives
        self.requests = 0
        self.timeout: float | None = None
        self._queue(pieces)

    def _queue(self, pieces: list[bytes]) -> None:
        pieces = [piece for piece in pieces if piece]
        if pieces and not self.queue:
            self._writer.send(b"!")
        self.queue += pieces

    def fileno(self) -> int:
        return self._readable.fileno()

    def settimeout(self, timeout: float | None) -> None:
        self.timeout = timeout

    def sendall(self, data: bytes) -> None:
        self.requests += 1
        if self.requests == 2:
            self._queue([self.late, MARKER])

    def recv(self, size: int) -> bytes:
        if not self.queue:
            if self.timeout == 0:
                raise BlockingIOError
            if self.ending == "stall":
                raise TimeoutError("timed out")
            return b""
        piece = self.queue.pop(0)
        if len(piece) > size:
            self.queue.insert(0, piece[size:])
            piece = piece[:size]
        if not self.queue:
            self._readable.recv(1)
        return piece

    def close(self) -> None:
        self._readable.close()
        self._writer.close()


def ends_cleanly(first: bytes) -> bool:
    """The oracle: ``first`` is exactly one complete response to a GET, after which the
    connection may carry another request (h11 on its own, fed all at once)."""
    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    connection.send(h11.EndOfMessage())
    connection.receive_data(first)
    try:
        while connection.next_event() not in (h11.NEED_DATA, h11.PAUSED):
            pass
        connection.start_next_cycle()
    except (h11.RemoteProtocolError, h11.LocalProtocolError):
        return False
    return not connection.trailing_data[0]


def response(body: bytes, framing: str) -> bytes:
    if framing == "length":
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    if framing == "chunked":
        chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + b"0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\n\r\n" + body  # to the close


@st.composite
def first_responses(draw: st.DrawFn) -> bytes:
    """Mostly responses as servers send them, cut short or followed by more bytes; some
    arbitrary bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    body = draw(st.binary(max_size=100))
    data = response(body, draw(st.sampled_from(["length", "chunked", "close"])))
    shape = draw(st.sampled_from(["whole", "cut", "extra"]))
    if shape == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if shape == "extra":
        return data + draw(st.sampled_from([LATE, b"\r\n", draw(st.binary(min_size=1))]))
    return data


@st.composite
def pieces(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=6)))
    bounds = [0, *(cut for cut in cuts if cut < len(data)), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


@contextlib.contextmanager
def scripted(monkeypatch: pytest.MonkeyPatch, first: list[bytes], *, ending: str, late: bytes
             ) -> Iterator[list[ScriptedSocket]]:  # fmt: skip
    """Connections the transport opens: the first carries ``first``, any later one only
    the marker."""
    opened: list[ScriptedSocket] = []

    def connect(addresses: object, port: int, deadline: Deadline, timeout: float) -> object:
        if opened:
            sock = ScriptedSocket([], ending=ending, late=b"")
            sock.requests = 1  # its first request is the test's second: answered at once
        else:
            sock = ScriptedSocket(first, ending=ending, late=late)
        opened.append(sock)
        return sock

    monkeypatch.setattr(http_module, "_connect", connect)
    try:
        yield opened
    finally:
        for sock in opened:
            sock.close()


def check_second_response(monkeypatch, split: list[bytes], *, ending: str) -> None:
    """The property, for one first response cut into ``split``."""
    first = b"".join(split)
    clean = ends_cleanly(first)
    fetcher = Fetcher(HTTPTransport(), policy=AddressPolicy(allow_private_hosts=True),
                      user_agent="commentluv-tests")  # fmt: skip
    with scripted(monkeypatch, split, ending=ending, late=b"" if clean else LATE) as opened:
        with Deadline(5) as deadline, contextlib.suppress(FetchError):
            fetcher.get("http://127.0.0.1/", deadline=deadline, max_bytes=4096)
        with Deadline(5) as deadline:
            second = fetcher.get("http://127.0.0.1/", deadline=deadline, max_bytes=4096)
        fetcher.close()
    assert (second.status, second.body) == (200, b"SECOND")
    if len(opened) == 1:  # the second request went on the first connection
        assert clean


@pytest.mark.property
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), first=first_responses(), ending=st.sampled_from(["stall", "close"]))
def test_the_second_response_is_never_built_from_what_the_first_left(
    monkeypatch, data, first, ending
):
    check_second_response(monkeypatch, data.draw(pieces(first)), ending=ending)


def test_a_body_that_ended_with_the_close_never_lends_its_connection(monkeypatch):
    # Found by the property: h11 calls a close-delimited HTTP/1.1 body DONE and would start
    # the next cycle on a connection the server has closed.
    check_second_response(monkeypatch, [b"HTTP/1.1 200 OK\r\n\r\n"], ending="close")
