"""Ranking feed candidates (pure): main feeds first, comments last, one per feed.

Topic (main, off-topic such as a category or tag feed, comments), the page's own site first,
feeds declared by type before ones only named like a feed, then the page's section; the RSS,
Atom and JSON versions of one feed collapse into the best-ranked by their identity keys.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import NamedTuple, Protocol, TypeVar
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

from .._shared.urls import same_site, site_host
from .sniff import media_type

__all__ = [
    "FEED_TYPES",
    "PageHome",
    "Ranked",
    "is_comments_feed",
    "is_named_only",
    "looks_like_feed",
    "looks_like_feed_url",
    "path_segments",
    "rank_candidates",
]

# Media types that declare a feed (in a <link> or an anchor's type).
FEED_TYPES = frozenset(
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
_FEED_PATH_RE = re.compile(
    r"(?:/(?:feed|rss2?|atom)/?|\.(?:rss|atom|xml)|/(?:index|rss|feed)\.rdf|/feed\.json"
    r"|/feed/json/?|/feeds/posts/(?:default|summary))$",
    re.IGNORECASE,
)
_FORMAT_VALUE_RE = re.compile(r"rss\d?|atom|rdf|json|xml", re.IGNORECASE)
_FORMAT_KEYS = frozenset({"feed", "format", "alt", "type"})
_FEED_HOST_SUFFIXES = ("feedburner.com", "feedproxy.google.com")
_FEED_HOST_WORD = "feed"  # in each of those names: a netloc without it needs no host parsing

# Ranking: lower sorts first.
_MAIN, _OFF_TOPIC, _COMMENTS = 0, 1, 2
# "Comments" in the languages WordPress is most used in, as the start of a word of a feed's
# name or URL ("Kommentar-Feed", "Flux des commentaires", "/kommentare/feed/", "Лента
# комментариев"); scripts written without spaces match anywhere ("コメントフィード").
_COMMENTS_WORD_STARTS = (
    "comment", "coment", "kommentar", "reactie", "komentar", "коммент", "комент", "σχόλι",
    "yorum", "hozzászól",
)  # fmt: skip
_COMMENTS_WORDS_ANYWHERE = ("コメント", "评论", "評論", "댓글")
# Words that start like one of those and name posts: a "Commentary" section is not comments.
_NOT_COMMENTS_WORDS = ("commentar", "commentat")
# The lookahead on the words' first letters is only there for speed: it lets the regex engine
# leave most positions of a URL or title after one test rather than the whole pattern.
_COMMENTS_WORD_RE = re.compile(
    "(?=["
    + "".join(sorted({word[0] for word in (*_COMMENTS_WORD_STARTS, *_COMMENTS_WORDS_ANYWHERE)}))
    + r"])(?:(?<!\w)(?!"
    + "|".join(_NOT_COMMENTS_WORDS)
    + ")(?:"
    + "|".join(_COMMENTS_WORD_STARTS)
    + ")|"
    + "|".join(_COMMENTS_WORDS_ANYWHERE)
    + ")",
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
    r"feeds?|rss2?|atom|rdf|json|xml|(?:feed|rss2?|atom|index)\.(?:xml|rdf|json)", re.IGNORECASE
)
_FEED_SUFFIXES = (".rss", ".atom")
# The other formats of one feed worth trying when it fails (RSS, Atom, JSON, RDF).
_MAX_TWINS = 3  # any name: "news.rss" (a suffix test, not a regex scan)
_BLOGGER_POSTS_RE = re.compile(r"/feeds/posts/(?:default|summary)(?=/|$)", re.IGNORECASE)
_TITLE_NOISE_RE = re.compile(
    r"\b(?:rss|atom|rdf|json|xml|feeds?|\d+(?:\.\d+)+)\b|[^\w\s]", re.IGNORECASE
)


class Ranked(Protocol):
    """What ranking reads of a candidate (see :class:`~commentluv._discovery.links.Candidate`)."""

    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def media_type(self) -> str | None: ...
    @property
    def source(self) -> str: ...


RankedT = TypeVar("RankedT", bound=Ranked)


def looks_like_feed_url(url: str) -> bool:
    """Whether a URL is named like a feed (/feed/, .rss, ?format=rss, FeedBurner)."""
    return looks_like_feed(urlsplit(url))


def looks_like_feed(parts: SplitResult) -> bool:
    """:func:`looks_like_feed_url` of a URL already split."""
    if _FEED_PATH_RE.search(parts.path) or any(
        _is_format_param(key, value) for key, value in _query_pairs(parts.query)
    ):
        return True
    if _FEED_HOST_WORD not in parts.netloc.lower():
        return False
    host = parts.hostname or ""
    return any(host == suffix or host.endswith("." + suffix) for suffix in _FEED_HOST_SUFFIXES)


def _query_pairs(query: str) -> list[tuple[str, str]]:
    # Most URLs have no query: skip the parser's setup for them.
    return parse_qsl(query) if query else []


def _is_format_param(key: str, value: str) -> bool:
    """``?feed=rss2``, ``?alt=rss``, ``?format=rss``: a query that only picks the format."""
    return key.lower() in _FORMAT_KEYS and _FORMAT_VALUE_RE.fullmatch(value) is not None


def rank_candidates(
    found: list[RankedT | None],
    home: PageHome,
    limit: int,
    taken: dict[str, str],
    twins: dict[str, list[RankedT]],
) -> tuple[RankedT, ...]:
    """Best first, one per feed. ``taken`` maps the identity keys of the feeds kept so far
    (and of the page, by its URL) to their URL, and is extended; a candidate with a key
    already taken is the other format of a kept feed (RSS beside Atom or JSON), recorded in
    ``twins`` under that feed's URL: a twin is only a duplicate once its feed has worked."""
    if not found:
        return ()  # most pages: no anchor is a feed candidate
    # Each URL is read (split, host, section, topic) once for both the rank and the identity.
    scored = [
        (_rank_key(candidate, url, home), position, candidate, url)
        for position, candidate in enumerate(found)
        if candidate is not None
        for url in (_FeedURL.of(candidate, home),)
    ]
    scored.sort(key=itemgetter(0, 1))  # document order breaks ties
    kept: list[RankedT] = []
    for _, _, candidate, url in scored:
        if len(kept) >= limit:
            break
        keys = _identity_keys(candidate, url)
        shared = keys & taken.keys()
        twin_of = taken[min(shared)] if shared else None  # the first shared key, sorted
        if twin_of is None:
            taken.update(dict.fromkeys(keys, candidate.url))
            kept.append(candidate)
            continue
        same = twins.setdefault(twin_of, [])
        if twin_of != candidate.url and len(same) < _MAX_TWINS and candidate not in same:
            same.append(candidate)
    return tuple(kept)


class PageHome(NamedTuple):
    """What ranking reads of the page, read once per page: its host and path segments
    (None and []: no page), and the netloc its host was read from."""

    host: str | None
    segments: list[str]
    netloc: str | None = None

    @classmethod
    def of(cls, page: SplitResult | None) -> PageHome:
        if page is None:
            return cls(None, [])
        return cls(page.hostname, path_segments(page.path), page.netloc)

    def host_of(self, parts: SplitResult) -> str | None:
        """``parts.hostname``: the page's own when the netloc is (most links are on the
        page's host, and reading a hostname runs some 70 bytecodes of urllib)."""
        return self.host if parts.netloc == self.netloc else parts.hostname


class _FeedURL(NamedTuple):
    """What ranking and identity read of a candidate's URL."""

    parts: SplitResult
    host: str | None
    section: list[str]  # see _feed_section
    topic: int  # _MAIN, _OFF_TOPIC or _COMMENTS, by the URL and the candidate's title

    @classmethod
    def of(cls, candidate: Ranked, home: PageHome) -> _FeedURL:
        parts = urlsplit(candidate.url)
        topic = _topic(parts, candidate.title)
        return cls(parts, home.host_of(parts), _feed_section(parts.path), topic)


def _rank_key(candidate: Ranked, url: _FeedURL, home: PageHome) -> tuple[int, int, int, int]:
    """(topic, other site, only named like a feed, section): main feeds first, comments last;
    the page's own site first; then feeds covering the page's section, then the root feed."""
    local = same_site(url.host, home.host)
    named_only = is_named_only(candidate)
    section = _section_rank(url.section, home.segments) if local else 0
    return (url.topic, 0 if local else 1, int(named_only), section)


def is_named_only(candidate: Ranked) -> bool:
    """Whether only an anchor's words ("RSS", "Feed") say it is a feed: neither a ``<link>``
    nor a feed type, nor a URL shaped like a feed."""
    declared = candidate.source == "link" or media_type(candidate.media_type) in FEED_TYPES
    return not declared and not looks_like_feed_url(candidate.url)


def _topic(parts: SplitResult, title: str | None) -> int:
    if is_comments_feed(parts, title):
        return _COMMENTS
    if not _OFF_TOPIC_SEGMENTS.isdisjoint(parts.path.lower().split("/")):
        return _OFF_TOPIC
    if not parts.query:
        return _MAIN
    keys = {key.lower() for key, _ in parse_qsl(parts.query)}
    return _OFF_TOPIC if keys & _OFF_TOPIC_QUERY_KEYS else _MAIN


def is_comments_feed(parts: SplitResult, title: str | None) -> bool:
    """Whether a feed URL (split) and title name a comments feed."""
    target = f"{parts.path}?{parts.query}"
    # unquote's own test for "%" costs a Python call; most URLs have no escape.
    if _COMMENTS_WORD_RE.search(unquote(target) if "%" in target else target):
        return True
    if not title:
        return False
    # Only the part after the site name: a blog called "Running Commentary" is not comments.
    feed_name = _TITLE_SEPARATOR_RE.split(title)[-1]
    return _COMMENTS_WORD_RE.search(feed_name) is not None


def _section_rank(feed_section: list[str], page_segments: list[str]) -> int:
    """0: the feed covers the page's section (/blog/feed/ for /blog/); 1: the site's root
    feed; 2: some other section's feed."""
    if not feed_section:
        return 1
    return 0 if page_segments[: len(feed_section)] == feed_section else 2


def _feed_section(path: str) -> list[str]:
    """Path segments of what a feed covers: /blog/feed/atom/ → ["blog"], /feed/ → []."""
    segments = path_segments(_BLOGGER_POSTS_RE.sub("", path))
    while segments and (
        _FEED_SEGMENT_RE.fullmatch(segments[-1]) or segments[-1].lower().endswith(_FEED_SUFFIXES)
    ):
        segments.pop()
    return segments


def path_segments(path: str) -> list[str]:
    """The non-empty segments of a URL path."""
    return list(filter(None, path.split("/")))  # no Python loop: every anchor's path is read


def _identity_keys(candidate: Ranked, url: _FeedURL) -> set[str]:
    """Keys shared by every URL of one feed: the RSS and Atom (or JSON) versions of a feed
    differ only in a format word in the path or query, or in the title. Blogger gives a
    post's comments feed the blog's title, hence the topic in the title key."""
    host = site_host(url.host)
    query = url.parts.query and urlencode(
        sorted((k, v) for k, v in parse_qsl(url.parts.query) if not _is_format_param(k, v))
    )
    # The URL itself too: the caller seeds ``taken`` with the page's URL.
    keys = {f"url {host}/{'/'.join(url.section)}?{query}", candidate.url}
    title = " ".join(_TITLE_NOISE_RE.sub(" ", candidate.title or "").lower().split())
    if title:
        keys.add(f"title {host} {url.topic} {title}")
    return keys
