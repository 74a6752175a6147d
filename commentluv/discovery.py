"""Feed discovery (pure): recognise a feed body, and find a site's feeds in its HTML.

Nothing here touches the network. The HTTP layer fetches the commenter's page, calls
:func:`head_end` on the bytes received so far and :func:`find_feed_links` once the head (or
the page) is in, then tries the ranked candidates and :func:`guess_feed_urls`, accepting a
response only when :func:`sniff_feed` says its body is a feed.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector
from bs4.element import Tag
from bs4.exceptions import ParserRejectedMarkup
from bs4.filter import SoupStrainer

from ._text import clean_text
from ._urls import safe_http_url

__all__ = [
    "Candidate",
    "FeedKind",
    "HeadScanner",
    "PageLinks",
    "find_feed_links",
    "guess_feed_urls",
    "head_end",
    "sniff_feed",
]

FeedKind = Literal["rss", "rdf", "atom", "json"]

# ---------------------------------------------------------------------------------------------
# Recognising a feed body

# Room for a long prolog (stylesheet instructions, comments, a DOCTYPE) before the root tag.
_SNIFF_BYTES = 16 * 1024
# JSON up to this size is parsed whole; beyond it both ends are scanned for "version", which
# sorts last when a generator sorts its keys.
_JSON_PARSE_BYTES = 2 * 1024 * 1024
_JSON_SCAN_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # tested before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_PROLOG_RE = re.compile(
    r"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[[^\]]*\][^>]*)?>", re.DOTALL | re.IGNORECASE
)
_ROOT_RE = re.compile(r"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)([^>]*)")
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
    codec, bom_length = _detect_encoding(body)
    body = body[bom_length:]
    head = body[:_SNIFF_BYTES].decode(codec, "replace").lstrip()
    if head.startswith("{"):
        return _sniff_json(body, codec, content_type)
    return _sniff_xml(head)


def _detect_encoding(body: bytes) -> tuple[str, int]:
    """The codec of a feed body and the length of its byte-order mark (XML 1.0 appendix F)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    first = body[:4]
    if len(first) == 4 and first.startswith(b"\0\0\0"):
        return "utf-32-be", 0
    if len(first) == 4 and first.endswith(b"\0\0\0"):
        return "utf-32-le", 0
    if first.startswith(b"\0"):
        return "utf-16-be", 0
    if first[1:2] == b"\0":
        return "utf-16-le", 0
    return "utf-8", 0


def _sniff_xml(text: str, *, after_junk: bool = False) -> FeedKind | None:
    position = 0
    while (prolog := _PROLOG_RE.match(text, position)) is not None:
        position = prolog.end()
    root = _ROOT_RE.match(text, position)
    kind = _root_kind(root, text) if root else None
    if kind or after_junk:
        return kind
    # A feed behind PHP warnings ("<b>Warning</b>: ... <?xml ...") still parses leniently.
    declaration = text.find("<?xml", position)
    if declaration > 0 and not _HTML_MARKER_RE.search(text, 0, declaration):
        return _sniff_xml(text[declaration:], after_junk=True)
    return None


def _root_kind(root: re.Match[str], text: str) -> FeedKind | None:
    prefix, name, attributes = root.groups()
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
    return "json" if _media_type(content_type) == "application/feed+json" else None


def _load_json_object(body: bytes, codec: str) -> dict[str, object] | None:
    try:
        document = json.loads(body.decode(codec))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return document if isinstance(document, dict) else None


def _media_type(value: str | None) -> str:
    """``" Application/RSS+XML; charset=UTF-8"`` → ``"application/rss+xml"``."""
    return (value or "").split(";", 1)[0].strip().lower()


# ---------------------------------------------------------------------------------------------
# Where the head ends

_HEAD_END_RE = re.compile(rb"</head\s*>|<body[\s/>]", re.IGNORECASE)


def head_end(body: bytes | bytearray, start: int = 0) -> int | None:
    """Offset just past ``</head>``, or of ``<body`` if that comes first; None if neither yet.

    Searches from ``start`` so a caller re-checking a growing buffer can skip what it has
    already searched (keeping a few bytes of overlap for a tag split across reads).
    """
    match = _HEAD_END_RE.search(body, max(start, 0))
    if match is None:
        return None
    return match.end() if match.group().startswith(b"</") else match.start()


# ---------------------------------------------------------------------------------------------
# Feed links in a page


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL that may be the site's feed, with where it was found."""

    url: str
    title: str | None
    media_type: str | None
    source: Literal["link", "anchor", "guess"]

    @property
    def is_comments(self) -> bool:
        """True for a comments feed, whose entries are comments rather than posts."""
        return _is_comments_feed(urlsplit(self.url), self.title)


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What a page says about its feeds: ``<link>`` feeds and feed-like anchors, ranked best
    first, and the blogging platform when recognisable."""

    feeds: tuple[Candidate, ...]
    anchors: tuple[Candidate, ...]
    platform: str | None

    def post_feed_urls(self) -> list[str]:
        """URLs to try, head links first, then body anchors. Comments feeds are left out:
        their newest entry is a comment, not the author's post."""
        return [c.url for c in (*self.feeds, *self.anchors) if not c.is_comments]


class HeadScanner:
    """Fed a page's growing body chunk by chunk, says when to stop reading: once the head is
    complete and names a posts feed (the rest of a 5 MB homepage is not worth reading).

    Scans each chunk once; ``links`` holds what the head named.
    """

    def __init__(self) -> None:
        self.links: PageLinks | None = None
        self._searched = 0
        self._done = False

    def __call__(self, url: str, body: bytearray, headers: Mapping[str, str]) -> bool:
        if self._done:
            return False
        if self._searched == 0 and sniff_feed(bytes(body[:4096])):
            self._done = True  # the page is itself a feed: read it all
            return False
        # Re-scan a few bytes of the previous chunk in case "</head>" straddles the boundary.
        end = head_end(body, self._searched - 16)
        self._searched = len(body)
        if end is None:
            return False
        self._done = True
        content_type = headers.get("content-type")
        self.links = find_feed_links(bytes(body[:end]), url, content_type=content_type)
        return bool(self.links.post_feed_urls())


# html.parser is slow per tag and quadratic on some unclosed markup, so the parser only ever
# sees a bounded prefix of the page: up to this many of each kind of tag we read, and this
# many tags in all.
_MAX_TAGS_PER_KIND = 500
_MAX_TAGS = 20_000
_COUNTED_TAGS = frozenset({"a", "link", "meta"})
_TAG_START_RE = re.compile(r"<([!/?]?)([A-Za-z][A-Za-z0-9]*)?")
_PROCESSING_INSTRUCTION_RE = re.compile(r"<\?[^>]*>")
# bs4's meta-charset regex is quadratic on some input; the HTML standard looks at 1,024 bytes.
_CHARSET_SCAN_BYTES = 4096
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# Labels browsers decode as windows-1252, which only differs in C1 (smart quotes, euro sign).
_WINDOWS_1252_ALIASES = frozenset({"ascii", "iso8859-1"})
_MAX_TITLE_CHARS = 200

_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/x.atom+xml",
        "text/rss+xml",
        "text/atom+xml",
        "text/xml",
        "application/xml",
    }
)
_FEED_RELS = frozenset({"alternate", "feed"})
_JSONFEED_HREF_RE = re.compile(r"feed\.json|jsonfeed|/feed/json/?$", re.IGNORECASE)
# REST and oEmbed endpoints, sitemaps and other XML that WordPress and friends link to.
_NOT_FEED_RE = re.compile(
    r"/wp-json/|[?&]rest_route=|oembed"
    r"|(?:sitemap|opensearch|browserconfig|crossdomain|manifest|osd)[^/]*\.xml",
    re.IGNORECASE,
)
_FEED_PATH_RE = re.compile(
    r"(?:/(?:feed|rss2?|atom)/?|\.(?:rss|atom|xml)|/(?:index|rss|feed)\.rdf|/feed\.json"
    r"|/feed/json/?|/feeds/posts/(?:default|summary))$",
    re.IGNORECASE,
)
_FORMAT_VALUE_RE = re.compile(r"rss\d?|atom|rdf|json|xml", re.IGNORECASE)
_FORMAT_KEYS = frozenset({"feed", "format", "alt", "type"})
_FEED_HOST_SUFFIXES = ("feedburner.com", "feedproxy.google.com")
_FEED_WORD_RE = re.compile(r"\b(?:rss|atom|feeds?|syndicat\w*)\b", re.IGNORECASE)

# Ranking: lower sorts first.
_MAIN, _OFF_TOPIC, _COMMENTS = 0, 1, 2
_COMMENTS_PATH_RE = re.compile(r"(?:^|/)comments?(?:[./]|$)", re.IGNORECASE)
# "Comments" in the languages WordPress is most used in ("Kommentar-Feed", "Flux des
# commentaires", "Feed de comentarios", "コメントフィード", ...).
_COMMENTS_WORD_RE = re.compile(
    r"comment|coment|kommentar|reactie|komentar|коммент|комент|σχόλι|yorum|hozzászól"
    r"|コメント|评论|評論|댓글",
    re.IGNORECASE,
)
# Site name and feed name are joined by one of these ("Blog » Comments Feed", "Blog - Atom").
_TITLE_SEPARATOR_RE = re.compile(r"\s[-–—|:·]\s|[»«]")
_OFF_TOPIC_SEGMENTS = frozenset(
    {
        "category",
        "categories",
        "tag",
        "tags",
        "tagged",
        "topic",
        "topics",
        "author",
        "authors",
        "label",
        "labels",
        "search",
        "podcast",
        "podcasts",
        "-",  # Blogger label feeds: /feeds/posts/default/-/Label
    }
)
_OFF_TOPIC_QUERY_KEYS = frozenset({"cat", "category", "tag", "author", "label", "s"})
# Path tails that name a format rather than a section: /blog/feed/atom/ is the /blog/ feed.
_FEED_SEGMENT_RE = re.compile(
    r"feeds?|rss2?|atom|rdf|json|(?:feed|rss2?|atom|index)\.(?:xml|rdf|json)|[^/]*\.(?:rss|atom)",
    re.IGNORECASE,
)
_BLOGGER_POSTS_RE = re.compile(r"/feeds/posts/(?:default|summary)(?=/|$)", re.IGNORECASE)
_TITLE_NOISE_RE = re.compile(
    r"\b(?:rss|atom|rdf|json|xml|feeds?|\d+(?:\.\d+)+)\b|[^\w\s]", re.IGNORECASE
)

_HOST_PLATFORMS = (
    ("blogspot.com", "blogger"),
    ("medium.com", "medium"),
    ("substack.com", "substack"),
    ("tumblr.com", "tumblr"),
    ("wordpress.com", "wordpress"),
    ("ghost.io", "ghost"),
    ("wixsite.com", "wix"),
    ("squarespace.com", "squarespace"),
)
_GENERATOR_PLATFORMS = (
    ("wordpress", "wordpress"),
    ("blogger", "blogger"),
    ("ghost", "ghost"),
    ("jekyll", "jekyll"),
    ("hugo", "hugo"),
    ("wix.com", "wix"),
    ("squarespace", "squarespace"),
    ("tumblr", "tumblr"),
    ("medium", "medium"),
    ("substack", "substack"),
)
# Asset URLs and comments only one platform puts in its pages. Plain substrings, because a
# regex alternation of them crawls through a multi-megabyte page.
_ASSET_MARKERS = (
    ("/wp-content/", "wordpress"),
    ("/wp-includes/", "wordpress"),
    ("/wp-json/", "wordpress"),
    ("www.blogger.com/static/", "blogger"),
    ("www.blogger.com/dyn-css/", "blogger"),
    ("blogger.googleusercontent.com", "blogger"),
    ("miro.medium.com", "medium"),
    ("cdn-client.medium.com", "medium"),
    ("com.medium.reader", "medium"),
    ("substackcdn.com", "substack"),
    ("cdn.substack.com", "substack"),
    ("cdn.jsdelivr.net/ghost/", "ghost"),
    ("cdn.jsdelivr.net/npm/@tryghost/", "ghost"),
    ("assets.tumblr.com", "tumblr"),
    ("static.tumblr.com", "tumblr"),
    ("static1.squarespace.com", "squarespace"),
    ("assets.squarespace.com", "squarespace"),
    ("this is squarespace.", "squarespace"),
    ("static.parastorage.com", "wix"),
    ("static.wixstatic.com", "wix"),
    ("begin jekyll seo tag", "jekyll"),
)


def find_feed_links(
    html: bytes | str,
    page_url: str,
    *,
    content_type: str | None = None,
    max_links: int = 50,
) -> PageLinks:
    """The feeds a page links to, ranked best first, and its platform.

    ``page_url`` is the page's final URL (after redirects); bytes are decoded by BOM, then the
    ``charset`` in ``content_type``, then ``<meta charset>``, then UTF-8 or windows-1252. Work
    is bounded: only the first 500 ``<link>``, ``<a>`` and ``<meta>`` tags are read, and at
    most ``max_links`` candidates of each kind are returned. Never raises.
    """
    text = html if isinstance(html, str) else _decode_html(html, content_type)
    text = _parse_window(text)
    page = safe_http_url(page_url)
    page_parts = urlsplit(page) if page else None
    tags = _parse_tags(text)
    base = _base_url(tags, page)
    taken = {page} if page else set()
    links = [_link_candidate(tag, base) for tag in tags if tag.name == "link"]
    feeds = _rank(links, page_parts, max_links, taken)
    anchors = [_anchor_candidate(tag, base, page_parts) for tag in tags if tag.name == "a"]
    return PageLinks(
        feeds=feeds,
        anchors=_rank(anchors, page_parts, max_links, taken),
        platform=_detect_platform(page_parts, tags, text),
    )


def _decode_html(data: bytes, content_type: str | None) -> str:
    """Decode with the first of BOM, HTTP charset and ``<meta>`` charset that fits every byte.

    bs4's UnicodeDammit is not used: it ranks the HTTP charset above the BOM and falls back
    on statistical guessing, where browsers (and we) fall back on UTF-8 then windows-1252.
    """
    body, bom_encoding = EncodingDetector.strip_byte_order_mark(data)
    header = _CHARSET_RE.search(content_type or "")
    declared = EncodingDetector.find_declared_encoding(
        body[:_CHARSET_SCAN_BYTES], is_html=True, search_entire_document=True
    )
    # A <meta> we could read as ASCII cannot truly be announcing UTF-16 (HTML standard).
    if declared and declared.startswith(("utf-16", "utf-32")):
        declared = "utf-8"
    labels = (bom_encoding, header.group(1) if header else None, declared)
    labelled = [codec for codec in map(_codec, labels) if codec]
    # LookupError: a bytes-to-bytes codec ("charset=base64"); the idna codec refuses "replace".
    for codec in (*labelled, "utf-8"):
        with contextlib.suppress(UnicodeError, LookupError):
            return body.decode(codec)
    # No label fits every byte (a stray byte in a UTF-8 page): trust the first, as browsers do.
    with contextlib.suppress(UnicodeError, LookupError):
        return body.decode(labelled[0] if labelled else "windows-1252", "replace")
    return body.decode("windows-1252", "replace")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except (LookupError, ValueError):
        return None
    return "windows-1252" if name in _WINDOWS_1252_ALIASES else name


def _parse_window(text: str) -> str:
    """The prefix of ``text`` the parser may see (see ``_MAX_TAGS``)."""
    per_kind = dict.fromkeys(_COUNTED_TAGS, 0)
    for total, tag in enumerate(_TAG_START_RE.finditer(text), 1):
        name = "" if tag.group(1) else (tag.group(2) or "").lower()
        if name in per_kind:
            per_kind[name] += 1
        if total > _MAX_TAGS or per_kind.get(name, 0) > _MAX_TAGS_PER_KIND:
            text = text[: tag.start()]
            break
    # Whatever follows the last ">" is at best an unfinished tag, which html.parser rescans
    # to the end of the input for every "<" in it.
    return text[: text.rfind(">") + 1]


def _parse_tags(text: str) -> list[Tag]:
    """The ``<link>``, ``<a>``, ``<base>`` and ``<meta>`` tags of a page, in document order."""
    if "<" not in text:  # bs4 would warn that the input looks like a file name
        return []
    # bs4 warns when an XML declaration precedes the first tag (a feed, or a page's head cut
    # from one). Parsing that as HTML is deliberate here, and no <?...?> matters to us.
    text = _PROCESSING_INSTRUCTION_RE.sub("", text)
    strainer = SoupStrainer(["link", "a", "base", "meta"])
    try:
        soup = BeautifulSoup(text, "html.parser", parse_only=strainer)
    except ParserRejectedMarkup:
        return []
    return [tag for tag in soup.find_all(["link", "a", "base", "meta"]) if isinstance(tag, Tag)]


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _base_url(tags: list[Tag], page: str | None) -> str | None:
    """The URL relative links resolve against: the first ``<base href>``, else the page."""
    for tag in tags:
        if tag.name == "base" and tag.has_attr("href"):
            return safe_http_url(_attr(tag, "href"), page) or page
    return page


def _clean_title(value: str) -> str | None:
    return clean_text(value, _MAX_TITLE_CHARS, markup=False) or None


def _link_candidate(tag: Tag, base: str | None) -> Candidate | None:
    url = _target(tag, base)
    media_type = _attr(tag, "type").strip().lower()
    if url is None or not _declares_feed(tag, media_type, url):
        return None
    return Candidate(url, _clean_title(_attr(tag, "title")), media_type or None, "link")


def _target(tag: Tag, base: str | None) -> str | None:
    """The tag's absolute http(s) ``href``, unless it is an API endpoint or a sitemap."""
    url = safe_http_url(_attr(tag, "href"), base)
    if url is None:
        return None
    parts = urlsplit(url)
    return None if _NOT_FEED_RE.search(f"{parts.path}?{parts.query}") else url


def _declares_feed(tag: Tag, media_type: str, url: str) -> bool:
    """Whether a ``<link>`` or ``<a>`` says, by ``rel`` and ``type``, that it points to a feed."""
    rels = set(_attr(tag, "rel").lower().split())
    if not rels & _FEED_RELS or "stylesheet" in rels:
        return False
    essence = _media_type(media_type)
    if essence in _FEED_TYPES:
        return True
    if essence == "application/json":
        return _JSONFEED_HREF_RE.search(urlsplit(url).path) is not None
    return not essence and "feed" in rels and _looks_like_feed_url(url)


def _anchor_candidate(tag: Tag, base: str | None, page: SplitResult | None) -> Candidate | None:
    url = _target(tag, base)
    if url is None:
        return None
    parts = urlsplit(url)
    media_type = _attr(tag, "type").strip().lower()
    label = _clean_title(_anchor_label(tag))
    local = page is not None and _same_site(parts.hostname, page.hostname)
    # Words alone ("RSS", "Feed") are weak evidence: trusted only for links within the site.
    feed_like = (
        _declares_feed(tag, media_type, url)
        or _looks_like_feed_url(url)
        or (local and _FEED_WORD_RE.search(label or "") is not None)
    )
    if not feed_like or _topic(parts, label) == _COMMENTS:
        return None
    return Candidate(url, label, media_type or None, "anchor")


def _anchor_label(tag: Tag) -> str:
    """An anchor's text, else its title, else the alt text of an image in it (an RSS icon)."""
    text = tag.get_text(" ", strip=True)[:_MAX_TITLE_CHARS]
    image = tag.find("img")
    alt = _attr(image, "alt") if isinstance(image, Tag) else ""
    return text or _attr(tag, "title") or alt


def _looks_like_feed_url(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return (
        _FEED_PATH_RE.search(parts.path) is not None
        or any(_is_format_param(key, value) for key, value in parse_qsl(parts.query))
        or any(host == suffix or host.endswith("." + suffix) for suffix in _FEED_HOST_SUFFIXES)
    )


def _is_format_param(key: str, value: str) -> bool:
    """``?feed=rss2``, ``?alt=rss``, ``?format=rss``: a query that only picks the format."""
    return key.lower() in _FORMAT_KEYS and _FORMAT_VALUE_RE.fullmatch(value) is not None


def _rank(
    found: list[Candidate | None], page: SplitResult | None, limit: int, taken: set[str]
) -> tuple[Candidate, ...]:
    """Best first, one per feed: drops candidates whose identity is already in ``taken``
    (which it extends), so alternates and exact duplicates collapse into the best-ranked."""
    # sorted() is stable, so document order breaks ties.
    ordered = sorted(
        (candidate for candidate in found if candidate is not None),
        key=lambda candidate: _rank_key(candidate, page),
    )
    kept: list[Candidate] = []
    for candidate in ordered:
        if len(kept) >= limit:
            break
        keys = _identity_keys(candidate)
        if keys & taken:
            continue
        taken.update(keys)
        kept.append(candidate)
    return tuple(kept)


def _rank_key(candidate: Candidate, page: SplitResult | None) -> tuple[int, int, int, int]:
    """(topic, other site, only named like a feed, section): main feeds first, comments last;
    the page's own site first; then feeds covering the page's section, then the root feed."""
    parts = urlsplit(candidate.url)
    local = page is not None and _same_site(parts.hostname, page.hostname)
    declared = candidate.source == "link" or _media_type(candidate.media_type) in _FEED_TYPES
    named_only = not declared and not _looks_like_feed_url(candidate.url)
    section = _section_rank(parts.path, page.path) if page is not None and local else 0
    return (_topic(parts, candidate.title), 0 if local else 1, int(named_only), section)


def _topic(parts: SplitResult, title: str | None) -> int:
    if _is_comments_feed(parts, title):
        return _COMMENTS
    segments = {segment.lower() for segment in _segments(parts.path)}
    keys = {key.lower() for key, _ in parse_qsl(parts.query)}
    if segments & _OFF_TOPIC_SEGMENTS or keys & _OFF_TOPIC_QUERY_KEYS:
        return _OFF_TOPIC
    return _MAIN


def _is_comments_feed(parts: SplitResult, title: str | None) -> bool:
    if _COMMENTS_PATH_RE.search(parts.path) or "comment" in parts.query.lower():
        return True
    if not title:
        return False
    # Only the part after the site name: a blog called "Running Commentary" is not comments.
    feed_name = _TITLE_SEPARATOR_RE.split(title)[-1]
    return _COMMENTS_WORD_RE.search(feed_name) is not None


def _section_rank(feed_path: str, page_path: str) -> int:
    """0: the feed covers the page's section (/blog/feed/ for /blog/); 1: the site's root
    feed; 2: some other section's feed."""
    section = _feed_section(feed_path)
    if not section:
        return 1
    return 0 if _segments(page_path)[: len(section)] == section else 2


def _feed_section(path: str) -> list[str]:
    """Path segments of what a feed covers: /blog/feed/atom/ → ["blog"], /feed/ → []."""
    segments = _segments(_BLOGGER_POSTS_RE.sub("", path))
    while segments and _FEED_SEGMENT_RE.fullmatch(segments[-1]):
        segments.pop()
    return segments


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _identity_keys(candidate: Candidate) -> set[str]:
    """Keys shared by every URL of one feed: the RSS and Atom (or JSON) versions of a feed
    differ only in a format word in the path or query, or in the title. Blogger gives a
    post's comments feed the blog's title, hence the topic in the title key."""
    parts = urlsplit(candidate.url)
    host = _site_host(parts.hostname)
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query) if not _is_format_param(k, v))
    )
    # The URL itself too: the caller seeds ``taken`` with the page's URL.
    keys = {f"url {host}/{'/'.join(_feed_section(parts.path))}?{query}", candidate.url}
    title = " ".join(_TITLE_NOISE_RE.sub(" ", candidate.title or "").lower().split())
    if title:
        keys.add(f"title {host} {_topic(parts, candidate.title)} {title}")
    return keys


def _site_host(host: str | None) -> str:
    host = host or ""
    return host[4:] if host.startswith("www.") else host


def _same_site(host: str | None, other: str | None) -> bool:
    """Same host ignoring "www.", or one a subdomain of the other (blog.example.com)."""
    a, b = _site_host(host), _site_host(other)
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def _detect_platform(page: SplitResult | None, tags: list[Tag], text: str) -> str | None:
    """From the page's host, then ``<meta name="generator">``, then well-known asset hosts."""
    host = page.hostname if page else None
    return _host_platform(host) or _generator_platform(tags) or _asset_platform(text)


def _host_platform(host: str | None) -> str | None:
    host = host or ""
    for suffix, platform in _HOST_PLATFORMS:
        if host == suffix or host.endswith("." + suffix):
            return platform
    return None


def _asset_platform(text: str) -> str | None:
    """The platform whose marker appears first (a hotlinked image comes after the theme)."""
    lowered = text.lower()
    hits = [
        (at, platform) for marker, platform in _ASSET_MARKERS if (at := lowered.find(marker)) >= 0
    ]
    return min(hits)[1] if hits else None


def _generator_platform(tags: list[Tag]) -> str | None:
    for tag in tags:
        if tag.name != "meta" or _attr(tag, "name").strip().lower() != "generator":
            continue
        generator = _attr(tag, "content").strip().lower()
        for prefix, platform in _GENERATOR_PLATFORMS:
            if generator.startswith(prefix):
                return platform
    return None


# ---------------------------------------------------------------------------------------------
# Guessing

_GENERIC_FEED_NAMES = ("feed", "rss", "atom.xml", "feed.xml", "rss.xml", "index.xml", "feed.json")
# Platform → (feed path, whether the platform can be installed under a path like /blog/).
_PLATFORM_FEEDS = MappingProxyType(
    {
        "wordpress": ("feed/", True),
        "ghost": ("rss/", True),
        "jekyll": ("feed.xml", True),
        "hugo": ("index.xml", True),
        "blogger": ("feeds/posts/default", False),
        "medium": ("feed", False),
        "substack": ("feed", False),
        "tumblr": ("rss", False),
        "wix": ("blog-feed.xml", False),
    }
)
# First path segments of medium.com and www.tumblr.com that are not a user or publication.
_RESERVED_FIRST_SEGMENTS = frozenset(
    {"p", "m", "me", "search", "tag", "tagged", "topics", "blog", "dashboard", "explore"}
)


def guess_feed_urls(page_url: str, platform: str | None, *, limit: int = 5) -> list[str]:
    """Well-known feed URLs to try when a page links to none, most likely first.

    The platform's own feed location comes first (``platform`` as from
    :func:`find_feed_links`; when None it is inferred from the host), then common names, each
    under the page's directory (``/blog/``) before the site root. Absolute, at most ``limit``,
    and deduplicated (``/feed`` is dropped after ``/feed/``: one redirects to the other).
    """
    page = safe_http_url(page_url)
    if page is None or limit <= 0:
        return []
    parts = urlsplit(page)
    hosted = _hosted_user_feed(parts)
    if hosted:
        return [hosted]
    directories = _guess_directories(parts.path)
    guesses = [
        *_platform_guesses(parts, platform or _host_platform(parts.hostname), directories),
        *(directory + name for directory in directories for name in _GENERIC_FEED_NAMES),
    ]
    urls: dict[str, str] = {}
    for guess in guesses:
        url = safe_http_url(guess, page)
        if url:
            urls.setdefault(url.rstrip("/"), url)
    return list(urls.values())[:limit]


def _guess_directories(path: str) -> list[str]:
    """["/blog/", "/"] for /blog, /blog/ or /blog/index.html; ["/"] at the root."""
    segments = _segments(path)
    if segments and "." in segments[-1]:
        segments.pop()
    return [f"/{'/'.join(segments)}/", "/"] if segments else ["/"]


def _platform_guesses(
    parts: SplitResult, platform: str | None, directories: list[str]
) -> list[str]:
    if platform == "squarespace":
        # Squarespace serves any collection's RSS at ?format=rss; "blog" is its default slug.
        return [f"{parts.path}?format=rss", *(["/blog?format=rss"] if parts.path == "/" else [])]
    if platform is None or platform not in _PLATFORM_FEEDS:
        return []
    name, nestable = _PLATFORM_FEEDS[platform]
    return [directory + name for directory in (directories if nestable else ["/"])]


def _hosted_user_feed(parts: SplitResult) -> str | None:
    """The feed of a user or publication page on medium.com or www.tumblr.com."""
    segments = _segments(parts.path)
    first = segments[0] if segments else ""
    if not first or first.lower() in _RESERVED_FIRST_SEGMENTS:
        return None
    host = _site_host(parts.hostname)
    if host == "medium.com":
        return f"https://medium.com/feed/{first}"
    if host == "tumblr.com":
        return f"https://{first}.tumblr.com/rss"
    return None
