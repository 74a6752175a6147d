"""Feed links in a page (pure): the ``<link>`` feeds and feed-like anchors of a commenter's page.

The HTTP layer fetches the page, calls :func:`html_head_end` on the bytes received so far (or lets
a :class:`HeadScanner` do it as the stop callback) and :func:`find_feed_links` once the head
(or the page) is in. Bytes are decoded by :func:`commentluv._feeds.decode.decode_page`; the
candidates are ranked by :mod:`.rank` and the platform recognised by :mod:`.platforms`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from .._feeds.decode import decode_page
from .._shared.text import clean_text
from .._shared.urls import safe_http_url, same_site
from .linkheader import parse_link_header
from .navigation import blog_pages, meta_refresh
from .platforms import detect_platform
from .rank import (
    FEED_TYPES,
    PageHome,
    is_comments_feed,
    is_named_only,
    looks_like_feed,
    looks_like_feed_url,
    rank_candidates,
)
from .sniff import media_type, sniff_feed
from .tags import Anchor, PageTag, attribute, base_url, parse_tags, parse_window

__all__ = ["Candidate", "HeadScanner", "PageLinks", "find_feed_links", "html_head_end"]

# Where the head ends

_HEAD_END_RE = re.compile(rb"</head\s*>|<body[\s/>]", re.IGNORECASE)


def html_head_end(body: bytes | bytearray, start: int = 0) -> int | None:
    """Offset just past ``</head>``, or of ``<body`` if that comes first; None if neither yet.

    Searches from ``start`` so a caller re-checking a growing buffer can skip what it has
    already searched (keeping a few bytes of overlap for a tag split across reads).
    """
    match = _HEAD_END_RE.search(body, max(start, 0))
    if match is None:
        return None
    return match.end() if match.group().startswith(b"</") else match.start()


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
        return is_comments_feed(urlsplit(self.url), self.title)


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What a page says about its feeds: ``<link>`` feeds and feed-like anchors, ranked best
    first, and the blogging platform when recognisable; and where it sends its reader on:
    a ``<meta http-equiv="refresh">`` target (resolved, unchecked) and same-site links that
    name a blog; and its ``<link rel="canonical">``, where a profile rule may apply."""

    feeds: tuple[Candidate, ...]
    anchors: tuple[Candidate, ...]
    platform: str | None
    refresh: str | None = None
    blog_pages: tuple[str, ...] = ()
    canonical: str | None = None
    twins: tuple[tuple[str, Candidate], ...] = ()
    """(a feed's URL, another format of it): tried only when that feed fails."""
    # (named only, the feed's URL and its other formats') per posts feed, for post_feed_urls:
    # a search asks for them three times, each candidate's tests run once.
    _posts_feeds: tuple[tuple[bool, tuple[str, ...]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        posts_feeds = tuple(
            (is_named_only(candidate), (candidate.url, *self._twin_urls(candidate.url)))
            for candidate in (*self.feeds, *self.anchors)
            if not candidate.is_comments
        )
        object.__setattr__(self, "_posts_feeds", posts_feeds)  # frozen: set once, here

    def _twin_urls(self, url: str) -> list[str]:
        return [twin.url for kept, twin in self.twins if kept == url and not twin.is_comments]

    def post_feed_urls(self, *, named_only: bool | None = None) -> list[str]:
        """URLs to try, head links first, then body anchors, each feed followed by its
        other formats. Comments feeds are left out: their newest entry is a comment, not
        the author's post. ``named_only`` keeps only the anchors whose words alone say
        "feed" (True) or all the others (False)."""
        return [
            url for named, urls in self._posts_feeds if named_only in (None, named) for url in urls
        ]


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
        end = html_head_end(body, self._searched - 16)
        self._searched = len(body)
        if end is None:
            return False
        self._done = True
        self.links = find_feed_links(
            bytes(body[:end]),
            url,
            content_type=headers.get("content-type"),
            link_header=headers.get("link"),
        )
        return bool(self.links.post_feed_urls())


_MAX_TITLE_CHARS = 200
_FEED_RELS = frozenset({"alternate", "feed"})
_JSONFEED_HREF_RE = re.compile(r"feed\.json|jsonfeed|/feed/json/?$", re.IGNORECASE)
# REST and oEmbed endpoints, sitemaps and other XML that WordPress and friends link to.
# Matched against the URL's path and query, lower-cased by the caller: without IGNORECASE,
# the regex engine skips every position whose character cannot start a match.
_NOT_FEED_RE = re.compile(
    r"/wp-json/|[?&]rest_route=|oembed"
    r"|(?:sitemap|opensearch|browserconfig|crossdomain|manifest|osd)[^/]*\.xml"
)
_LEADING_SPACE = "\ufeff \t\r\n"
_FEED_WORD_RE = re.compile(r"\b(?:rss|atom|feeds?|syndicat\w*)\b", re.IGNORECASE)


def find_feed_links(
    html: bytes | str,
    page_url: str,
    *,
    content_type: str | None = None,
    link_header: str | None = None,
    max_links: int = 50,
) -> PageLinks:
    """The feeds a page links to, ranked best first, and its platform.

    ``link_header`` is the response's HTTP ``Link`` header (RFC 8288): the feeds it announces
    rank exactly as head ``<link>``s do (before them when all else is equal: the header comes
    first), their relative targets resolved against ``page_url``.

    ``page_url`` is the page's final URL (after redirects); bytes are decoded by BOM, then the
    ``charset`` in ``content_type``, then the XML declaration or ``<meta charset>``, then
    UTF-8 or windows-1252 (:func:`commentluv._feeds.decode.decode_page`). Work
    is bounded: only the first 500 ``<link>``, ``<a>`` and ``<meta>`` tags are read, and at
    most ``max_links`` candidates of each kind are returned. A body that is JSON (it opens
    with ``{`` or ``[``) links nothing, whatever markup its strings hold (its ``Link``
    header still counts). Never raises.
    """
    text = html if isinstance(html, str) else decode_page(html, content_type)
    if text.lstrip(_LEADING_SPACE)[:1] in ("{", "["):
        text = ""  # JSON (an "RSS in JSON" file): its escaped markup is no page's links
    text = parse_window(text)
    page = safe_http_url(page_url)
    page_parts = urlsplit(page) if page else None
    home = PageHome.of(page_parts)
    page_host = home.host
    tags = parse_tags(text)
    base = base_url(tags["base"], page)
    taken = {page: page} if page else {}
    twins: dict[str, list[Candidate]] = {}
    announced = [_feed_link(link, page) for link in parse_link_header(link_header)]
    links = announced + [_feed_link(tag.attrs, base) for tag in tags["link"]]
    feeds = rank_candidates(links, home, max_links, taken, twins)
    anchors = [
        Anchor(tag, url, urlsplit(url))
        for tag in tags["a"]
        if (url := safe_http_url(attribute(tag, "href"), base)) is not None
    ]
    feed_anchors = [_anchor_candidate(anchor, home) for anchor in anchors]
    return PageLinks(
        feeds=feeds,
        anchors=rank_candidates(feed_anchors, home, max_links, taken, twins),
        platform=detect_platform(page_host, _generators(tags["meta"]), text),
        refresh=meta_refresh(tags["meta"], base),
        blog_pages=blog_pages(anchors, page_parts, home),
        canonical=_canonical(tags["link"], base),
        twins=tuple((kept, twin) for kept, same in twins.items() for twin in same),
    )


def _generators(metas: list[PageTag]) -> list[str]:
    """The contents of the page's ``<meta name="generator">`` tags."""
    return [
        attribute(tag, "content")
        for tag in metas
        if attribute(tag, "name").strip().lower() == "generator"
    ]


def _canonical(links: list[PageTag], base: str | None) -> str | None:
    """The URL of the first ``<link rel="canonical">`` whose href resolves."""
    for link in links:
        if "canonical" in attribute(link, "rel").lower().split():
            url = safe_http_url(attribute(link, "href"), base)
            if url:
                return url
    return None


def _clean_title(value: str) -> str | None:
    return clean_text(value, _MAX_TITLE_CHARS, markup=False) or None


def _feed_link(attrs: Mapping[str, str], base: str | None) -> Candidate | None:
    """A ``<link>`` of the head (its attributes) or a value of the ``Link`` header (its
    parameters, with its target as "href"), when it declares a feed."""
    # Most of a page's <link>s are stylesheets, icons and preloads: their rel says so before
    # their href is worth resolving.
    rels = _rels(attrs.get("rel", ""))
    if not rels:
        return None
    url = _target(attrs.get("href", ""), base)
    type_attr = attrs.get("type", "").strip().lower()
    if url is None or not _declares_feed(rels, type_attr, url):
        return None
    return Candidate(url, _clean_title(attrs.get("title") or ""), type_attr or None, "link")


def _target(href: str, base: str | None) -> str | None:
    """The absolute http(s) URL of ``href``, unless it is an API endpoint or a sitemap."""
    url = safe_http_url(href, base)
    return None if url is None or _is_not_feed(urlsplit(url)) else url


def _is_not_feed(parts: SplitResult) -> bool:
    """Whether a URL (from :func:`safe_http_url`, split) is an API endpoint or a sitemap."""
    return _NOT_FEED_RE.search(f"{parts.path}?{parts.query}".lower()) is not None


def _declares_feed(rels: set[str], declared_type: str, url: str) -> bool:
    """Whether a ``<link>`` or ``<a>`` says, by its feed ``rels`` (:func:`_rels`) and
    ``type``, that it points to a feed."""
    if not rels:
        return False
    essence = media_type(declared_type)
    if essence in FEED_TYPES:
        return True
    if essence == "application/json":
        return _JSONFEED_HREF_RE.search(urlsplit(url).path) is not None
    return not essence and "feed" in rels and looks_like_feed_url(url)


def _rels(rel: str) -> set[str]:
    """The ``rel`` values when one names a feed (and none a stylesheet), else empty."""
    rels = set(rel.lower().split())
    return rels if rels & _FEED_RELS and "stylesheet" not in rels else set()


def _anchor_candidate(anchor: Anchor, home: PageHome) -> Candidate | None:
    """The anchor when it may be a feed."""
    tag, url, parts = anchor
    if _is_not_feed(parts):
        return None
    type_attr = attribute(tag, "type").strip().lower()
    label = _clean_title(_anchor_label(tag))
    # Words alone ("RSS", "Feed") are weak evidence: trusted only for links within the site.
    feed_like = (
        _declares_feed(_rels(attribute(tag, "rel")), type_attr, url)
        or looks_like_feed(parts)
        or (
            _FEED_WORD_RE.search(label or "") is not None
            and same_site(home.host_of(parts), home.host)
        )
    )
    if not feed_like or is_comments_feed(parts, label):
        return None
    return Candidate(url, label, type_attr or None, "anchor")


def _anchor_label(tag: PageTag) -> str:
    """An anchor's text, else its title, else the alt text of an image in it (an RSS icon)."""
    return tag.text[:_MAX_TITLE_CHARS] or attribute(tag, "title") or tag.image_alt
