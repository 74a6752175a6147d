"""HTTP/1.1 as the transport reads it: pure functions over bytes (commentluv._net.wire)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from commentluv._net.wire import (
    INFLATE_STEP,
    MAX_FIELD_LINES,
    Framing,
    Inflater,
    MalformedResponse,
    check_encoding,
    framing,
    head_end,
    parse_chunk_size,
    parse_head,
    request_bytes,
    request_target,
)


def test_a_request_is_a_get_line_and_its_fields():
    sent = request_bytes("/feed/?a=1", {"Host": "blog.example:8080", "Accept": "*/*"})
    assert sent == b"GET /feed/?a=1 HTTP/1.1\r\nHost: blog.example:8080\r\nAccept: */*\r\n\r\n"


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
def test_a_field_that_could_end_its_line_or_is_not_latin_1_is_refused(name, value):
    with pytest.raises(ValueError, match=r"refusing|Latin-1"):
        request_bytes("/", {"Host": "a.example", name: value})


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
def test_the_head_ends_at_the_first_blank_line_with_either_line_end(data):
    assert head_end(data) == data.index(b"body")
    assert head_end(data[: data.index(b"body") - 1]) == -1  # not complete yet


def test_a_head_is_parsed_with_lower_case_names_and_repeated_fields_joined():
    head = parse_head(
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\nX-A: 1\r\n"
        b"x-a: 2\r\nContent-Length: 0\r\n\r\n"
    )
    assert (head.status, head.reason, head.keep_alive) == (301, "Moved Permanently", True)
    assert head.headers == {"location": "/new", "x-a": "1, 2", "content-length": "0"}


def test_lenient_heads_real_servers_send_are_read():
    head = parse_head(
        b"\r\nHTTP/1.0 200\nContent-Type: text/html\nX-Long: one\n  two\n\tthree\nEmpty:\n\n"
    )
    assert (head.status, head.reason, head.keep_alive) == (200, "", False)
    assert head.headers == {"content-type": "text/html", "x-long": "one two three", "empty": ""}


@pytest.mark.parametrize(
    ("connection", "version", "keep_alive"),
    [
        ("", "1.1", True),
        ("close", "1.1", False),
        ("Keep-Alive, Close", "1.1", False),
        ("", "1.0", False),
        ("keep-alive", "1.0", True),
    ],
)
def test_keep_alive_follows_the_version_and_the_connection_field(connection, version, keep_alive):
    field = f"Connection: {connection}\r\n" if connection else ""
    head = parse_head(f"HTTP/{version} 200 OK\r\n{field}\r\n".encode())
    assert head.keep_alive is keep_alive


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n  folded-first\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
    ],
)
def test_heads_that_are_not_http_1_are_refused(data):
    with pytest.raises(MalformedResponse):
        parse_head(data)


def test_more_header_fields_than_the_limit_are_refused():
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_FIELD_LINES))
    assert len(parse_head(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\n").headers) == MAX_FIELD_LINES
    with pytest.raises(MalformedResponse, match="header fields"):
        parse_head(b"HTTP/1.1 200 OK\r\n" + fields + b"X-Last: v\r\n\r\n")


def frame(status: int = 200, **fields: str) -> Framing:
    lines = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in fields.items())
    return framing(parse_head(f"HTTP/1.1 {status} X\r\n{lines}\r\n".encode()))


def test_bodies_are_framed_as_rfc_9112_says():
    assert frame(304, Content_Length="10") == Framing("empty")
    assert frame(204) == Framing("empty")
    assert frame(Content_Length="12") == Framing("length", 12)
    assert frame(Content_Length="12, 12") == Framing("length", 12)  # the same length twice
    assert frame(Transfer_Encoding="Chunked") == Framing("chunked")
    assert frame() == Framing("close", reusable=False)
    assert frame(Content_Length="3", Connection="close") == Framing("length", 3, reusable=False)


def test_a_response_with_both_framings_is_read_as_chunks_and_its_connection_closed():
    # The two framings at once is how responses are smuggled: the chunks win (RFC 9112).
    assert frame(Transfer_Encoding="chunked", Content_Length="5") == Framing(
        "chunked", reusable=False
    )


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
def test_framings_this_client_cannot_trust_are_refused(fields):
    with pytest.raises(MalformedResponse):
        frame(**fields)


@pytest.mark.parametrize(
    ("line", "size"),
    [(b"0", 0), (b"1a", 26), (b"FF;name=value", 255), (b"10 ; ext", 16), (b"c\r", 12)],
)
def test_chunk_sizes_are_hex_with_extensions_ignored(line, size):
    assert parse_chunk_size(line) == size


@pytest.mark.parametrize("line", [b"", b"-1", b"0x10", b"g", b"1" * 16, b"12 34"])
def test_chunk_sizes_that_are_not_hex_or_too_long_are_refused(line):
    with pytest.raises(MalformedResponse):
        parse_chunk_size(line)


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
