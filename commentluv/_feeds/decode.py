"""Encoding detection (pure) for the whole library: the bytes of a feed or a page → text.

One set of primitives (byte-order marks, the BOM-less signatures of XML 1.0 appendix F, the
``charset`` of a Content-Type, the XML declaration, ``<meta charset>``, codec names) and a
small policy per caller on top of them:

* :func:`decode_feed`, for feed documents: a BOM or signature wins, then the HTTP charset,
  the XML declaration, UTF-8 and windows-1252. Never raises.
* :func:`feed_first_label`, for the streaming reader: the label :func:`decode_feed` would try
  first (the reader decodes only UTF-8 itself and leaves anything else to the fallback).
* :func:`sniff_codec`, for recognising a feed: a BOM, else where the NUL bytes of the first
  four bytes are (any ASCII character in UTF-16/32, not only ``<``), else UTF-8.
* :func:`decode_page`, for HTML pages, as browsers do: the first of BOM, HTTP charset and
  XML declaration or ``<meta charset>`` that fits every byte, then UTF-8, then the first
  label (or windows-1252) with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

__all__ = [
    "charset_param",
    "codec_name",
    "decode_feed",
    "decode_page",
    "detect_bom",
    "ebcdic_codec",
    "feed_first_label",
    "http_charset",
    "meta_charset",
    "sniff_codec",
    "xml_declared_encoding",
    "xml_signature",
]

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_EBCDIC_SIGNATURE = b"\x4c\x6f\xa7\x94"  # "<?xm"
_EBCDIC = "cp037"  # the signature's code page until the declaration names another
# How "<" (or "<?xm" in EBCDIC) starts a document that has no BOM (XML 1.0, appendix F).
_SIGNATURES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (_EBCDIC_SIGNATURE, _EBCDIC),
)


def _prefix_pattern(prefixes: tuple[tuple[bytes, str], ...]) -> re.Pattern[bytes]:
    """A pattern matching the prefixes of a table, tried in its order: one C-level match
    where a loop of ``startswith`` cost a hundred bytecodes per body."""
    return re.compile(b"|".join(re.escape(prefix) for prefix, _ in prefixes))


_BOM_RE, _BOM_CODECS = _prefix_pattern(_BOMS), dict(_BOMS)
_SIGNATURE_RE, _SIGNATURE_CODECS = _prefix_pattern(_SIGNATURES), dict(_SIGNATURES)
# Python's EBCDIC codecs (codec names, as codec_name gives them).
_EBCDIC_CODECS = ("cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140")
_EBCDIC_DECLARATION_BYTES = 200
# Both stop at the next "<" or ">", so each try is short and a search stays linear.
_XML_ENCODING_RE = re.compile(
    rb"""<\?xml\s[^<>]{0,500}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})"""
)
_META_CHARSET_RE = re.compile(
    rb"""<\s*meta\b[^<>]*?charset\s*=\s*["']?([^\s"'/;<>]+)""", re.IGNORECASE
)
# The first parameter named charset (ASCII letters in any case, as str.lower() compares them;
# spaces as str.strip() reads them) up to its ";": one search where a loop of splits and
# strips ran some 40 bytecodes per Content-Type.
_CHARSET_PARAM_RE = re.compile(r";\s*(?ai:charset)\s*(?:=([^;]*))?(?:;|\Z)")
# The HTML standard looks for <meta charset> in the first 1,024 bytes; some slack here.
_PAGE_CHARSET_SCAN_BYTES = 4096
# Labels browsers decode as windows-1252, which only differs in C1 (smart quotes, euro sign).
_WINDOWS_1252_ALIASES = frozenset({"ascii", "iso8859-1"})


# Primitives


def detect_bom(body: bytes) -> tuple[str, int] | None:
    """The codec of the byte-order mark ``body`` starts with and the mark's length, or None."""
    match = _BOM_RE.match(body)
    return (_BOM_CODECS[match.group()], match.end()) if match else None


def xml_signature(body: bytes) -> str | None:
    """The codec in which a BOM-less XML document's first bytes spell ``<`` (appendix F)."""
    match = _SIGNATURE_RE.match(body)
    return _SIGNATURE_CODECS[match.group()] if match else None


def charset_param(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, unquoted; None when there is none."""
    match = _CHARSET_PARAM_RE.search(content_type or "")
    charset = match.group(1) if match else None
    return (charset or "").strip().strip("\"'") or None


def http_charset(headers: Mapping[str, str]) -> str | None:
    """The ``charset`` of the Content-Type among response ``headers`` (any case)."""
    for name, value in headers.items():
        if name.lower() == "content-type":
            return charset_param(value)
    return None


def xml_declared_encoding(body: bytes) -> str | None:
    """The ``encoding`` of the XML declaration ``body`` opens with, as written."""
    match = _XML_ENCODING_RE.match(body[:1024].lstrip())
    return match.group(1).decode("ascii") if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset the first ``<meta charset>`` or ``<meta http-equiv ... charset=>`` names."""
    match = _META_CHARSET_RE.search(body)
    return match.group(1).decode("ascii", "replace") if match else None


def codec_name(label: str | None) -> str | None:
    """Python's name for the codec an encoding label names, or None when it names none."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except (LookupError, ValueError):
        return None


# Feeds


def decode_feed(body: bytes, charset: str | None) -> str:
    """Feed body → text: a BOM or signature wins, then ``charset`` (the HTTP one), the XML
    declaration, UTF-8 and windows-1252."""
    forced = _forced_codec(body)
    if forced is not None:
        codec, skip = forced
        return body[skip:].decode(codec, "replace")
    for label in (charset, xml_declared_encoding(body), "utf-8", "windows-1252"):
        text = _try_feed_label(body, label)
        if text is not None:
            return text
    return body.decode("latin-1")


def feed_first_label(body: bytes, charset: str | None) -> str:
    """The (lower-case) label :func:`decode_feed` would decode ``body`` with first."""
    forced = _forced_codec(body)
    if forced is not None:
        return forced[0]
    label = charset or xml_declared_encoding(body) or "utf-8"
    return label.lower()


def _forced_codec(body: bytes) -> tuple[str, int] | None:
    """What wins over every label: a BOM (with its length) or an appendix F signature."""
    bom = detect_bom(body)
    if bom is not None:
        return bom
    signature = xml_signature(body)
    if signature == _EBCDIC:
        return ebcdic_codec(body), 0
    return (signature, 0) if signature else None


def ebcdic_codec(body: bytes) -> str:
    """The EBCDIC code page an EBCDIC document declares (cp500, cp875, cp1140 ...): "<?xml"
    is the same bytes in all of them, the declaration's quotes are not (cp1026), so the one
    whose reading of the declaration names itself is it. Else cp037."""
    prefix = body[:_EBCDIC_DECLARATION_BYTES]
    for codec in _EBCDIC_CODECS:
        label = xml_declared_encoding(prefix.decode(codec, "replace").encode("ascii", "replace"))
        if codec_name(label) == codec:
            return codec
    return _EBCDIC


def _try_feed_label(body: bytes, label: str | None) -> str | None:
    if not label:
        return None
    label = label.lower()
    if label in ("gb2312", "gbk"):  # pages labelled gb2312 routinely use GB18030 characters
        label = "gb18030"
    codec = codec_name(label)
    # None: unknown. UTF-16/32: the body would have matched a BOM or signature.
    if codec is None or codec.startswith(("utf-16", "utf-32")):
        return None
    try:
        if codec == "utf-8":
            # Tolerates a body cut in the middle of a character (a capped download).
            return codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
        return body.decode(codec)
    except (LookupError, ValueError):
        return None


# Recognising a feed


def sniff_codec(body: bytes) -> tuple[str, int]:
    """The codec of a body that may be a feed, and the length of its byte-order mark."""
    bom = detect_bom(body)
    if bom is not None:
        return bom
    first = body[:4]
    # UTF-16 and UTF-32 text has a NUL among its first two bytes; most bodies have none.
    if b"\0" not in first[:2]:
        return (ebcdic_codec(body) if first == _EBCDIC_SIGNATURE else "utf-8"), 0
    if len(first) == 4 and first.startswith(b"\0\0\0"):
        return "utf-32-be", 0
    if len(first) == 4 and first.endswith(b"\0\0\0"):
        return "utf-32-le", 0
    return ("utf-16-be" if first.startswith(b"\0") else "utf-16-le"), 0


# HTML pages


def decode_page(data: bytes, content_type: str | None) -> str:
    """Decode a page with the first of BOM, HTTP charset and declared charset that fits
    every byte, then UTF-8; else the first label (or windows-1252) with replacements."""
    bom = detect_bom(data)
    body = data[bom[1] :] if bom else data
    head = body[:_PAGE_CHARSET_SCAN_BYTES]
    declared = (xml_declared_encoding(head) or meta_charset(head) or "").lower()
    # A <meta> we could read as ASCII cannot truly be announcing UTF-16 (HTML standard).
    if declared.startswith(("utf-16", "utf-32")):
        declared = "utf-8"
    labels = (bom[0] if bom else None, charset_param(content_type), declared)
    labelled = [codec for label in labels if label and (codec := _page_codec(label))]
    # LookupError: a bytes-to-bytes codec ("charset=base64"); the idna codec refuses "replace".
    # try/except rather than contextlib.suppress: a page is decoded on every lookup, and the
    # context manager's three Python calls cost more than the rest of this function.
    for codec in (*labelled, "utf-8"):
        try:
            return body.decode(codec)
        except (UnicodeError, LookupError):
            continue
    # No label fits every byte (a stray byte in a UTF-8 page): trust the first, as browsers do.
    try:
        return body.decode(labelled[0] if labelled else "windows-1252", "replace")
    except (UnicodeError, LookupError):
        return body.decode("windows-1252", "replace")


def _page_codec(label: str | None) -> str | None:
    name = codec_name(label)
    return "windows-1252" if name in _WINDOWS_1252_ALIASES else name
