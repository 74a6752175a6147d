"""HTTP/1.1 for a client that only sends GET, as pure functions over bytes: the request's
bytes, the response head, how the body is framed, chunk-size lines and content decoding.
:mod:`.http` does the socket I/O around them.

Written for this client rather than borrowed from urllib3/http.client: their layers cost
about a third of a cold lookup's CPU (bench/README.md), and the hostile cases are easier to
bound here, where every limit below is a named constant.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACCEPTED_ENCODINGS",
    "MAX_FIELD_LINES",
    "MAX_HEAD_BYTES",
    "MAX_LINE_BYTES",
    "Framing",
    "Inflater",
    "MalformedResponse",
    "ResponseHead",
    "check_encoding",
    "framing",
    "head_end",
    "parse_chunk_size",
    "parse_head",
    "request_bytes",
    "request_target",
]

# A response head (status line and fields) longer than this is refused, as is one with more
# field lines: http.client's limits are 64 KiB a line and 100 fields.
MAX_HEAD_BYTES = 64 * 1024
MAX_FIELD_LINES = 100
# A chunk-size line (with any extensions) or a trailer line longer than this is refused.
MAX_LINE_BYTES = 4096

# The codings the transport advertises (Accept-Encoding) and decodes. Any other is refused
# rather than passed on as if it were the document.
ACCEPTED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})

# Decoded output comes in steps of at most this many bytes, so a compression bomb is never
# expanded further than the reader has asked for.
INFLATE_STEP = 64 * 1024


class MalformedResponse(ValueError):
    """The server's bytes are not HTTP/1.x as this client reads it."""


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """A parsed response head: status, reason, fields (lower-case names, repeated fields
    joined with ", ") and whether the server keeps the connection open afterwards."""

    status: int
    reason: str
    headers: dict[str, str]
    keep_alive: bool


@dataclass(frozen=True, slots=True)
class Framing:
    """How a body ends: it has none, after ``length`` bytes, with the last chunk, or when
    the server closes the connection. ``reusable`` is False when the connection cannot carry
    another request after it."""

    kind: Literal["empty", "length", "chunked", "close"]
    length: int = 0
    reusable: bool = True


_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS_LINE_RE = re.compile(r"HTTP/1\.([01]) ([0-9]{3})(?:[ \t](.*))?")
_UNSAFE_TARGET_RE = re.compile(r"[^\x21-\x7e]")
_CHUNK_SIZE_RE = re.compile(rb"[ \t]*([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?")


def request_target(path: str, query: str) -> str:
    """The request line's target for a URL's path and query: non-ASCII, spaces and controls
    percent-encoded (UTF-8), as browsers send them; an empty path is ``/``."""
    target = (path or "/") + ("?" + query if query else "")
    if _UNSAFE_TARGET_RE.search(target) is None:
        return target
    return _UNSAFE_TARGET_RE.sub(lambda match: _percent_encode(match.group()), target)


def _percent_encode(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def request_bytes(target: str, headers: Mapping[str, str]) -> bytes:
    """A GET request for ``target`` with ``headers`` (``Host`` among them). A field name
    that is not a token or a value that could end its line is refused with ValueError:
    a validator stored from one server must never smuggle a field to another."""
    lines = [f"GET {target} HTTP/1.1"]
    for name, value in headers.items():
        if _TOKEN_RE.fullmatch(name) is None or _UNSAFE_VALUE_RE.search(value) is not None:
            raise ValueError(f"refusing to send the header field {name[:40]!r}")
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    try:
        return "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("a header value is not Latin-1") from None


def head_end(buffer: bytes | bytearray, start: int = 0) -> int:
    """Where the body starts in ``buffer``: just past the blank line that ends the head (CRLF
    or bare LF line ends), or -1 when the head is not complete yet. ``start`` skips bytes
    already searched."""
    ends = [
        found + length
        for found, length in (
            (buffer.find(b"\n\r\n", start), 3),
            (buffer.find(b"\n\n", start), 2),
        )
        if found >= 0
    ]
    return min(ends) if ends else -1


def parse_head(data: bytes) -> ResponseHead:
    """Parse a response head (status line and fields, up to the blank line)."""
    lines = data.decode("latin-1").split("\n")
    while lines and not lines[0].strip():  # stray line ends left over by a previous reply
        lines.pop(0)
    if not lines:
        raise MalformedResponse("an empty response head")
    status_line = _STATUS_LINE_RE.fullmatch(lines[0].rstrip("\r"))
    if status_line is None:
        raise MalformedResponse(f"not an HTTP/1.x status line: {lines[0][:60]!r}")
    minor, status, reason = status_line.groups()
    fields: dict[str, str] = {}
    name = ""
    field_lines = [line.rstrip("\r") for line in lines[1:]]
    if len(field_lines) > MAX_FIELD_LINES + 2:  # the blank line and what follows its LF
        raise MalformedResponse(f"more than {MAX_FIELD_LINES} header fields")
    for line in field_lines:
        if not line:
            continue
        if line[0] in " \t":  # an obsolete folded continuation of the previous field
            if not name:
                raise MalformedResponse("a continuation line before any header field")
            fields[name] = f"{fields[name]} {line.strip()}".strip()
            continue
        raw_name, colon, value = line.partition(":")
        name = raw_name.strip().lower()
        if not colon or _TOKEN_RE.fullmatch(name) is None:
            raise MalformedResponse(f"not a header field: {line[:60]!r}")
        value = value.strip(" \t")
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    connection = {token.strip().lower() for token in fields.get("connection", "").split(",")}
    keep_alive = "keep-alive" in connection if minor == "0" else "close" not in connection
    return ResponseHead(int(status), (reason or "").strip(), fields, keep_alive)


def framing(head: ResponseHead) -> Framing:
    """How the body of a response to a GET ends (RFC 9112, section 6.3)."""
    if head.status in (204, 304) or head.status < 200:
        return Framing("empty", reusable=head.keep_alive)
    coding = head.headers.get("transfer-encoding")
    if coding is not None:
        if coding.strip().lower() != "chunked":
            raise MalformedResponse(f"transfer coding {coding[:40]!r} is not supported")
        # Both framings at once is how responses are smuggled: read the chunks, then close.
        reusable = head.keep_alive and "content-length" not in head.headers
        return Framing("chunked", reusable=reusable)
    declared = head.headers.get("content-length")
    if declared is None:
        return Framing("close", reusable=False)
    lengths = {value.strip() for value in declared.split(",")}
    length = lengths.pop() if len(lengths) == 1 else ""
    if not (length.isascii() and length.isdigit()):
        raise MalformedResponse(f"not a content length: {declared[:40]!r}")
    return Framing("length", int(length), reusable=head.keep_alive)


def parse_chunk_size(line: bytes) -> int:
    """The size in a chunk-size line (without its line end; extensions ignored)."""
    found = _CHUNK_SIZE_RE.fullmatch(line.rstrip(b"\r"))
    if found is None:
        raise MalformedResponse(f"not a chunk size: {line[:40]!r}")
    return int(found.group(1), 16)


def check_encoding(header: str) -> str:
    """The one content coding to decode (``identity`` for none); MalformedResponse for a
    coding not asked for, or for more than one: each layer would multiply what a small
    body expands to."""
    tokens = [token.strip().lower() for token in header.split(",")] if header.strip() else []
    if len(tokens) > 1:
        raise MalformedResponse("nested content encodings are refused")
    coding = tokens[0] if tokens else "identity"
    if coding != "identity" and coding not in ACCEPTED_ENCODINGS:
        raise MalformedResponse(
            f"content encoding {coding[:40]!r} was not asked for and is refused"
        )
    return coding


class Inflater:
    """Decodes a gzip or deflate body fed in pieces, in steps of at most
    :data:`INFLATE_STEP` bytes. gzip may have several members; "deflate" is the zlib format
    or, as some servers send it, a raw deflate stream. Bytes after the stream are ignored."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        # Until deflate yields output, its first input is kept to retry as a raw stream.
        self._undecided: bytes | None = None if self._gzip else b""
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, in bounded steps."""
        if self._undecided is not None:
            self._undecided += data
            if len(self._undecided) > INFLATE_STEP:  # no output yet, but it decodes: zlib
                self._undecided = None
        while data and not self._done:
            try:
                decoded = self._inflate.decompress(data, INFLATE_STEP)
            except zlib.error as exc:
                if self._undecided is None:
                    raise MalformedResponse(f"the body does not decode: {exc}") from None
                data, self._undecided = self._undecided, None
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            if decoded:
                self._undecided = None
                yield decoded
            data = self._inflate.unconsumed_tail
            if self._inflate.eof:
                data = self._next_member(self._inflate.unused_data)

    def _next_member(self, rest: bytes) -> bytes:
        if self._gzip and rest[:2] == b"\x1f\x8b":
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
            return rest
        self._done = True
        return b""
