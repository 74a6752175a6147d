"""What this client adds to HTTP/1.1 around h11, as pure functions over bytes: the request
target, the limits a response must keep, and content decoding (:class:`Inflater`).
:mod:`.http` does the socket I/O and hands the framing to h11.

h11 parses status lines, header fields, chunk-size lines and decides how each body ends
(RFC 9112) and whether a connection can carry another request. Content decoding stays here:
h11 does not do it, and a compression bomb is bounded here one step at a time.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

__all__ = [
    "ACCEPTED_ENCODINGS",
    "MAX_FIELD_LINES",
    "MAX_HEAD_BYTES",
    "MAX_LINE_BYTES",
    "WIRE_MARGIN",
    "Inflater",
    "MalformedResponse",
    "check_encoding",
    "request_target",
]

# A response head (status line and fields) longer than this is refused (ResponseTooLarge), as
# is one with more field lines: http.client's limits are 64 KiB a line and 100 fields.
MAX_HEAD_BYTES = 64 * 1024
MAX_FIELD_LINES = 100
# A chunk-size line (with any extensions) longer than this is refused.
MAX_LINE_BYTES = 4096
# The bytes read off the wire for one body may exceed the cap on decoded bytes by this much
# (gzip's framing, a body that does not compress): a cap on decoded bytes alone lets a tiny
# compressed stream followed by endless filler be read until the deadline.
WIRE_MARGIN = 64 * 1024

# The codings the transport advertises (Accept-Encoding) and decodes. Any other is refused
# rather than passed on as if it were the document.
ACCEPTED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})

# Decoded output comes in steps of at most this many bytes, so a compression bomb is never
# expanded further than the reader has asked for.
INFLATE_STEP = 64 * 1024


class MalformedResponse(ValueError):
    """The server's bytes are not HTTP/1.x as this client reads it."""


_UNSAFE_TARGET_RE = re.compile(r"[^\x21-\x7e]")


def request_target(path: str, query: str) -> str:
    """The request line's target for a URL's path and query: non-ASCII, spaces and controls
    percent-encoded (UTF-8), as browsers send them; an empty path is ``/``."""
    target = (path or "/") + ("?" + query if query else "")
    if _UNSAFE_TARGET_RE.search(target) is None:
        return target
    return _UNSAFE_TARGET_RE.sub(lambda match: _percent_encode(match.group()), target)


def _percent_encode(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def check_encoding(header: str) -> str:
    """The one content coding to decode (``identity`` for none); MalformedResponse for a
    coding not asked for, or for more than one: each layer would multiply what a small
    body expands to."""
    if not header:  # what most responses say
        return "identity"
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
    or, as some servers send it, a raw deflate stream. The body ends with the stream:
    :attr:`done` turns True and bytes after it are never decoded (nor worth reading)."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        # Until deflate yields output, its first input is kept to retry as a raw stream.
        self._undecided: bytes | None = None if self._gzip else b""
        self._done = False

    @property
    def done(self) -> bool:
        """True once the compressed stream (its last gzip member) has ended."""
        return self._done

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
