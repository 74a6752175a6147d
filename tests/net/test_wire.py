"""HTTP/1.1 as the transport reads it: the request it writes, the heads and framings it
accepts or refuses (h11 parses them; the limits are ours), and content decoding
(commentluv._net.wire). Responses come from a raw server on 127.0.0.1."""

from __future__ import annotations

import gzip
import zlib

import pytest

from commentluv._net.deadline import Deadline
from commentluv._net.http import HTTPTransport
from commentluv._net.policy import AddressPolicy
from commentluv._net.transport import Request
from commentluv._net.wire import (
    INFLATE_STEP,
    MAX_FIELD_LINES,
    Inflater,
    MalformedResponse,
    check_encoding,
    request_target,
)
from commentluv.errors import FetchError
from tests.net.raw import RawServer, Seen, serve

POLICY = AddressPolicy(allow_private_hosts=True)


class Wire:
    """A transport and a raw server that answers every request with ``answer``."""

    def __init__(self, servers: list[RawServer], answer: bytes, *, close: bool = True) -> None:
        def reply(conn, seen: Seen) -> bool:
            conn.sendall(answer)
            return not close

        self.server = serve(servers, {"/": reply, "/feed/?a=1": reply})
        self.transport = HTTPTransport()

    def get(self, path: str = "/", **headers: str) -> tuple[int, str, dict[str, str], bytes]:
        """Status, reason, headers and the decoded body, read to its end."""
        url = f"http://127.0.0.1:{self.server.port}{path}"
        with (
            Deadline(5) as deadline,
            self.transport.send(Request(url, headers), policy=POLICY, deadline=deadline) as got,
        ):
            body = b"".join(got.iter_chunks())
        return got.status, got.reason, dict(got.headers), body

    def connections(self) -> list[int]:
        return [seen.connection for seen in self.server.seen]


def test_a_request_is_a_get_line_and_its_fields(servers):
    wire = Wire(servers, b"HTTP/1.1 204 No Content\r\n\r\n")
    wire.get("/feed/?a=1", Accept="*/*")
    port = wire.server.port
    assert (
        wire.server.seen[0].head
        == (
            f"GET /feed/?a=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept-Encoding: gzip, deflate\r\nAccept: */*"
        ).encode()
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("If-None-Match", '"a"\r\nX-Smuggled: 1'),
        ("If-None-Match", '"a"\nX: 1'),
        ("If-None-Match", '"a"\x00'),
        ("Bad Name", "x"),
        ("Bad:Name", "x"),
        ("If-None-Match", "\u2603"),  # not Latin-1
    ],
)
def test_a_field_that_could_end_its_line_or_is_not_latin_1_is_refused(servers, name, value):
    wire = Wire(servers, b"HTTP/1.1 204 No Content\r\n\r\n")
    with pytest.raises(FetchError, match=r"refusing"):
        wire.get(**{name: value})
    assert wire.server.seen == []  # nothing was sent


@pytest.mark.parametrize(
    ("path", "query", "target"),
    [
        ("", "", "/"),
        ("/feed/", "", "/feed/"),
        ("/a", "b=1&c", "/a?b=1&c"),
        ("/caf\u00e9 ok", "", "/caf%C3%A9%20ok"),
        ("/x\r\ny", "q=\x7f", "/x%0D%0Ay?q=%7F"),
    ],
)
def test_the_request_target_is_ascii_without_spaces_or_controls(path, query, target):
    assert request_target(path, query) == target


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody",
        b"HTTP/1.1 200 OK\nA: b\n\nbody",
        b"HTTP/1.1 200 OK\r\nA: b\n\r\nbody\r\n\r\n",
    ],
)
def test_the_head_ends_at_the_first_blank_line_with_either_line_end(servers, data):
    status, _, headers, body = Wire(servers, data).get()
    assert (status, headers, body) == (200, {"a": "b"}, data[data.index(b"body") :])


def test_a_head_is_read_with_lower_case_names_and_repeated_fields_joined(servers):
    wire = Wire(servers, b"HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\nX-A: 1\r\n"
                b"x-a: 2\r\nContent-Length: 0\r\n\r\n", close=False)  # fmt: skip
    status, reason, headers, _ = wire.get()
    assert (status, reason) == (301, "Moved Permanently")
    assert headers == {"location": "/new", "x-a": "1, 2", "content-length": "0"}
    wire.get()
    assert wire.connections() == [0, 0]  # kept alive


def test_lenient_heads_real_servers_send_are_read(servers):
    answer = b"HTTP/1.0 200\nContent-Type: text/html\nX-Long: one\n  two\n\tthree\nEmpty:\n\n"
    status, reason, headers, _ = Wire(servers, answer).get()
    assert (status, reason) == (200, "")
    assert headers == {"content-type": "text/html", "x-long": "one two three", "empty": ""}


@pytest.mark.parametrize(
    ("connection", "version", "keep_alive"),
    [
        ("", "1.1", True),
        ("close", "1.1", False),
        ("Keep-Alive, Close", "1.1", False),
        ("", "1.0", False),
        ("keep-alive", "1.0", False),  # h11 keeps no HTTP/1.0 connection alive
    ],
)
def test_keep_alive_follows_the_version_and_the_connection_field(
    servers, connection, version, keep_alive
):
    field = f"Connection: {connection}\r\n" if connection else ""
    answer = f"HTTP/{version} 200 OK\r\n{field}Content-Length: 2\r\n\r\nok".encode()
    wire = Wire(servers, answer, close=not keep_alive)
    assert wire.get()[3] == wire.get()[3] == b"ok"
    assert wire.connections() == ([0, 0] if keep_alive else [0, 1])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"\r\nHTTP/1.1 200 OK\r\n\r\n",  # a line end before the status line: h11 refuses it
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n  folded-first\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
    ],
)
def test_heads_that_are_not_http_1_are_refused(servers, data):
    with pytest.raises(FetchError) as caught:
        Wire(servers, data).get()
    assert caught.value.kind == "unreachable"


def test_more_header_fields_than_the_limit_are_refused(servers):
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_FIELD_LINES - 1))
    ok = b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 0\r\n\r\n"
    assert len(Wire(servers, ok).get()[2]) == MAX_FIELD_LINES
    too_many = ok.replace(b"Content-Length", b"X-Last: v\r\nContent-Length")
    with pytest.raises(FetchError, match="header fields"):
        Wire(servers, too_many).get()


def framed(status: int = 200, body: bytes = b"", **fields: str) -> bytes:
    lines = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in fields.items())
    return f"HTTP/1.1 {status} X\r\n{lines}\r\n".encode() + body


@pytest.mark.parametrize(
    ("answer", "body", "kept"),
    [
        (framed(304, Content_Length="10"), b"", True),  # no body, whatever the length says
        (framed(204), b"", True),
        (framed(body=b"twelve bytes", Content_Length="12"), b"twelve bytes", True),
        (framed(body=b"twelve bytes", Content_Length="12, 12"), b"twelve bytes", True),
        (framed(body=b"5\r\nhello\r\n0\r\n\r\n", Transfer_Encoding="Chunked"), b"hello", True),
        (framed(body=b"to the close"), b"to the close", False),
        (framed(body=b"abc", Content_Length="3", Connection="close"), b"abc", False),
    ],
)
def test_bodies_are_framed_as_rfc_9112_says(servers, answer, body, kept):
    wire = Wire(servers, answer, close=not kept)
    assert wire.get()[3] == wire.get()[3] == body
    assert wire.connections() == ([0, 0] if kept else [0, 1])


def test_a_response_with_both_framings_is_read_as_chunks_and_its_connection_closed(servers):
    # The two framings at once is how responses are smuggled: the chunks win (RFC 9112).
    answer = framed(
        body=b"5\r\nhello\r\n0\r\n\r\n", Transfer_Encoding="chunked", Content_Length="5"
    )
    wire = Wire(servers, answer, close=False)
    assert wire.get()[3] == wire.get()[3] == b"hello"
    assert wire.connections() == [0, 1]


@pytest.mark.parametrize(
    "fields",
    [
        {"Content_Length": "12, 13"},
        {"Content_Length": "-1"},
        {"Content_Length": "1e3"},
        {"Content_Length": "\u0661\u0662"},  # digits, but not ASCII ones
        {"Transfer_Encoding": "gzip, chunked"},
        {"Transfer_Encoding": "chunked, identity"},
    ],
)
def test_framings_this_client_cannot_trust_are_refused(servers, fields):
    answer = framed(body=b"twelve bytes", **fields).replace(b"\xd9\xa1", b"\xd9\xa1")
    with pytest.raises(FetchError):
        Wire(servers, answer.decode().encode("utf-8")).get()


@pytest.mark.parametrize(
    ("line", "size"), [(b"0", 0), (b"1a", 26), (b"FF;name=value", 255), (b"10;ext", 16)]
)
def test_chunk_sizes_are_hex_with_extensions_ignored(servers, line, size):
    chunk = b"x" * size
    rest = chunk + b"\r\n0\r\n" if size else b""  # the chunk, then the last one
    answer = framed(body=line + b"\r\n" + rest + b"\r\n", Transfer_Encoding="chunked")
    assert Wire(servers, answer).get()[3] == chunk


@pytest.mark.parametrize(
    "line",
    [b"", b"-1", b"0x10", b"g", b"12 34", b"10 ; ext", b"1" * 21],  # h11 allows 20 hex digits
)
def test_chunk_sizes_that_are_not_hex_or_too_long_are_refused(servers, line):
    answer = framed(body=line + b"\r\nxx\r\n0\r\n\r\n", Transfer_Encoding="chunked")
    with pytest.raises(FetchError):
        Wire(servers, answer).get()


@pytest.mark.parametrize(
    ("header", "coding"),
    [("", "identity"), ("identity", "identity"), ("GZIP", "gzip"), (" deflate ", "deflate")],
)
def test_one_accepted_content_coding_is_decoded(header, coding):
    assert check_encoding(header) == coding


@pytest.mark.parametrize(
    "header", ["br", "zstd", "compress", "gzip, gzip", "identity, gzip", "gzip,"]
)
def test_codings_not_asked_for_or_stacked_are_refused(header):
    with pytest.raises(MalformedResponse):
        check_encoding(header)


def inflate(coding: str, data: bytes, piece: int = 7) -> bytes:
    inflater = Inflater(coding)
    return b"".join(
        decoded
        for start in range(0, len(data), piece)
        for decoded in inflater.feed(data[start : start + piece])
    )


TEXT = b"<rss><channel><title>Jaden</title></channel></rss>" * 40


def test_gzip_is_decoded_across_pieces_and_members_and_trailing_bytes_are_ignored():
    assert inflate("gzip", gzip.compress(TEXT)) == TEXT
    assert inflate("x-gzip", gzip.compress(TEXT) + gzip.compress(b"more")) == TEXT + b"more"
    assert inflate("gzip", gzip.compress(TEXT) + b"\x00junk") == TEXT


def test_deflate_is_read_in_the_zlib_format_or_as_a_raw_stream():
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert inflate("deflate", zlib.compress(TEXT)) == TEXT
    assert inflate("deflate", raw.compress(TEXT) + raw.flush()) == TEXT
    assert inflate("deflate", zlib.compress(TEXT), piece=1) == TEXT


def test_a_body_that_does_not_decode_is_refused():
    with pytest.raises(MalformedResponse, match="does not decode"):
        inflate("gzip", b"not gzip at all")


def test_a_bomb_expands_one_bounded_step_at_a_time():
    bomb = gzip.compress(b"\x00" * (64 * INFLATE_STEP))  # 4 MiB from about 4 KB
    steps = Inflater("gzip").feed(bomb)
    first = next(steps)
    assert len(first) == INFLATE_STEP  # one step, not the whole 4 MiB at once
    assert sum(len(step) for step in steps) + len(first) == 64 * INFLATE_STEP
