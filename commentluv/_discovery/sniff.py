"""Recognising a feed body (pure): is this response an RSS, Atom, RDF or JSON feed?

Judged from the root element (or a JSON Feed ``version``), never from the Content-Type alone:
HTML is never a feed, whatever it contains or is labelled. The body's codec comes from
:func:`commentluv._feeds.decode.sniff_codec`.
"""

from __future__ import annotations

import json
import re
from typing import Literal, cast

from .._feeds.decode import sniff_codec

__all__ = ["FeedKind", "media_type", "sniff_feed"]

FeedKind = Literal["rss", "rdf", "atom", "json"]

# Room for a long prolog (stylesheet instructions, comments, a DOCTYPE) before the root tag.
_SNIFF_BYTES = 16 * 1024
# JSON up to this size is parsed whole; beyond it both ends are scanned for "version", which
# sorts last when a generator sorts its keys.
_JSON_PARSE_BYTES = 2 * 1024 * 1024
_JSON_SCAN_BYTES = 64 * 1024

# An unclosed instruction, comment or DOCTYPE runs to the end (as it does for an XML parser),
# so no try scans the rest of the text more than once.
_PROLOG = r"\s+|<\?.*?(?:\?>|$)|<!--.*?(?:-->|$)|<!DOCTYPE[^\[>]*(?:\[[^\]]*(?:\]|$)[^>]*)?(?:>|$)"
# The prolog's parts one after another, then the root's start tag when one follows: one match
# where a loop of them ran a dozen bytecodes per part. As the root is optional, the engine
# never backtracks into the prolog: each part is what a match of it alone would be.
_START_RE = re.compile(
    rf"(?P<prolog>(?si:{_PROLOG})*)"
    r"(?:<(?:(?P<prefix>[A-Za-z_][\w.-]*):)?(?P<name>[A-Za-z_][\w.-]*)(?P<attributes>[^>]*))?"
)
_XMLNS_RE = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*["']\s*([^"'\s]*)""")
# Markup that makes leading junk an HTML page rather than PHP warnings printed before a feed.
_HTML_MARKER_RE = re.compile(r"<(?:html|head|body|title|meta)\b|<!DOCTYPE\s+html", re.IGNORECASE)
_ATOM_NAMESPACES = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
_RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RSS1_NAMESPACE_RE = re.compile(
    r"http://(?:purl\.org/rss/1\.0/|my\.netscape\.com/rdf/simple/0\.9/)"
)
_RSS1_CHANNEL_RE = re.compile(r"<(?:[\w.-]+:)?channel[\s/>]")
# PHP's json_encode escapes slashes, so "https:\/\/jsonfeed.org\/version\/1" is common.
_JSONFEED_VERSION = r"https?:(?:\\?/){2}jsonfeed\.org\\?/version\\?/"
_JSONFEED_VERSION_RE = re.compile(_JSONFEED_VERSION)
_JSONFEED_KEY_RE = re.compile(r'"version"\s*:\s*"' + _JSONFEED_VERSION)


def sniff_feed(body: bytes, content_type: str | None = None) -> FeedKind | None:
    """The kind of feed ``body`` is, judged from its root element (or JSON ``version``).

    Only an ``<rss>``, Atom ``<feed>`` or RSS 1.0 ``<rdf:RDF>`` root, or a JSON object whose
    ``version`` is a jsonfeed.org URL, counts: HTML is never a feed, whatever it contains or
    is labelled. ``content_type`` is a weak hint, used only to accept a JSON body too large to
    inspect whole when it is served as ``application/feed+json``. Never raises.
    """
    codec, bom_length = sniff_codec(body)
    # Sliced at both ends at once: the whole body is copied only for JSON.
    head = body[bom_length : bom_length + _SNIFF_BYTES].decode(codec, "replace").lstrip()
    if head.startswith("{"):
        return _sniff_json(body[bom_length:], codec, content_type)
    return _sniff_xml(head)


def _sniff_xml(text: str, *, after_junk: bool = False) -> FeedKind | None:
    # Always a match: the prolog may be empty and the root is optional.
    start = cast("re.Match[str]", _START_RE.match(text))
    prefix, name, attributes = start.group("prefix", "name", "attributes")
    kind = None if name is None else _root_kind(prefix, name, attributes, text)
    if kind or after_junk:
        return kind
    # A feed behind PHP warnings ("<b>Warning</b>: ... <?xml ...") still parses leniently.
    declaration = text.find("<?xml", start.end("prolog"))
    if declaration > 0 and not _HTML_MARKER_RE.search(text, 0, declaration):
        return _sniff_xml(text[declaration:], after_junk=True)
    return None


def _root_kind(prefix: str | None, name: str, attributes: str, text: str) -> FeedKind | None:
    name = name.lower()
    if name == "rss":
        return "rss"
    if name == "feed" and (prefix is None or _namespace(attributes, prefix) in _ATOM_NAMESPACES):
        return "atom"
    if (
        name == "rdf"
        and _namespace(attributes, prefix) == _RDF_NAMESPACE
        and _RSS1_NAMESPACE_RE.search(text)
        and _RSS1_CHANNEL_RE.search(text)
    ):
        return "rdf"
    return None


def _namespace(attributes: str, prefix: str | None) -> str | None:
    """The namespace the root start tag binds ``prefix`` (None: the default namespace) to."""
    for declaration in _XMLNS_RE.finditer(attributes):
        if declaration.group(1) == prefix:
            return declaration.group(2)
    return None


def _sniff_json(body: bytes, codec: str, content_type: str | None) -> FeedKind | None:
    document = _load_json_object(body, codec) if len(body) <= _JSON_PARSE_BYTES else None
    if document is not None:
        version = document.get("version")
        is_feed = isinstance(version, str) and _JSONFEED_VERSION_RE.match(version) is not None
        return "json" if is_feed else None
    # Too large, truncated or sloppy: look for the key near either end instead.
    ends = (body[:_JSON_SCAN_BYTES], body[-_JSON_SCAN_BYTES:])
    if any(_JSONFEED_KEY_RE.search(end.decode(codec, "replace")) for end in ends):
        return "json"
    return "json" if media_type(content_type) == "application/feed+json" else None


def _load_json_object(body: bytes, codec: str) -> dict[str, object] | None:
    try:
        document = json.loads(body.decode(codec))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return document if isinstance(document, dict) else None


def media_type(value: str | None) -> str:
    """``" Application/RSS+XML; charset=UTF-8"`` → ``"application/rss+xml"``."""
    return (value or "").split(";", 1)[0].strip().lower()
