"""The search: from a commenter's page to the site's posts (a feed, or a page's h-entries).

Each phase runs within what is left of the lookup's :data:`MAX_REQUESTS`:

1. the page, following ``<meta http-equiv="refresh">`` stubs as redirects (one hop limit
   with the HTTP ones); a 404 or 410 page is read for the feed links it still carries;
2. the page itself when it is a feed, else the feeds it links to (head, then body anchors),
   else its h-entry items (microformats2, no request), else anchors that only their words
   call a feed;
3. the platform's and the generic guesses;
4. at most :data:`MAX_BLOG_PAGES` same-site links that name a blog (``/blog/``, "Journal"),
   each page read for its feed links, :data:`SUBPATH_REQUESTS` requests in all.

A deep link (a post, a profile, ``index.php?page=about``) goes through 1 and 2 and a
profile rule's feed (``/@ann`` → ``/@ann.rss``), then for a fediverse profile (a handle's
site) the profile page its server's WebFinger names and that profile's feed, and nothing
more; for any other deep link the site root once through 1 to 4, then 3 under it. A
candidate counts only when its body sniffs as a feed. At most ``max_candidates`` links and
as many guesses are tried per page. The fetching is the caller's (a :class:`FeedSource`):
this module touches no network.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from .._feeds.hfeed import hfeed_posts
from .._shared.urls import safe_http_url
from ..errors import (
    BlockedURL,
    CommentLuvError,
    FeedError,
    FeedNotFound,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from ..models import Post
from .links import HeadScanner, PageLinks, find_feed_links
from .navigation import page_key
from .platforms import guess_feed_urls, profile_feed
from .sniff import sniff_feed
from .webfinger import fediverse_feeds, profile_page, webfinger_url

__all__ = [
    "MAX_BLOG_PAGES",
    "MAX_REQUESTS",
    "SUBPATH_REQUESTS",
    "Document",
    "FeedSource",
    "Found",
    "find_feed",
]

logger = logging.getLogger("commentluv")

MAX_REQUESTS = 8
"""Requests one lookup may send in all, redirects and a known feed's revalidation included."""
MAX_BLOG_PAGES = 2
SUBPATH_REQUESTS = 3
"""Requests the blog-link phase may spend: a blog page and its feed, or two pages and one."""
# Kept back while a deep link's site root is searched, for guesses under the deep link
# (/blog/feed/ for a /blog/ that links no feed).
_DEEP_GUESS_REQUESTS = 2
_NOT_FOUND_STATUSES = (404, 410)
_NO_LINKS = PageLinks(feeds=(), anchors=(), platform=None)


class Document(Protocol):
    """A fetched page or feed, as the network room returns it."""

    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def complete(self) -> bool: ...
    @property
    def redirects(self) -> tuple[str, ...]: ...


class FeedSource(Protocol):
    """How the finder fetches: a page (``scanner`` may stop the read after the head; a 404 or
    410 comes back as a document with its body), a candidate feed with the posts read
    while it streamed in (None: parse the body), and a WebFinger answer (JSON).
    ``requests_left`` is what the lookup may still send; a fetch past it raises."""

    @property
    def requests_left(self) -> int: ...

    def page(self, url: str, scanner: HeadScanner) -> Document: ...

    def feed(self, url: str) -> tuple[Document, list[Post] | None]: ...

    def webfinger(self, url: str) -> Document: ...


@dataclass(frozen=True)
class Found:
    """The site's feed: its final URL, the response, and its posts when already read (an
    h-feed's are: ``feed_url`` is then the page)."""

    feed_url: str
    document: Document
    posts: list[Post] | None = None


def find_feed(site: str, source: FeedSource, *, max_candidates: int, max_redirects: int) -> Found:
    """The posts of ``site``. Raises :class:`FeedNotFound`; the error of a feed the page
    links to when it was refused (:class:`BlockedURL`) or unreadable (:class:`FeedError`);
    :class:`NotFound` when the URL itself is gone; the page's own failure; a timeout at once.
    ``max_candidates`` bounds the feed URLs tried per page, ``max_redirects`` the hops to
    each page (meta refreshes count as hops)."""
    return _Search(site, source, max_candidates, max_redirects).run()


class _Page(NamedTuple):  # not a frozen dataclass: one is made per page, at half the cost
    document: Document
    links: PageLinks
    is_feed: bool = False
    missing: HTTPStatusError | None = None  # a 404/410 page, read for its links


class _Search:
    def __init__(
        self, site: str, source: FeedSource, max_candidates: int, max_redirects: int
    ) -> None:
        self.site = site
        self.source = source
        self.max_candidates = max_candidates
        self.max_redirects = max_redirects
        self.pages: set[str] = set()  # pages opened (and the hops to them), by page_key
        self.tried: set[str] = set()  # candidate feed URLs
        self.advertised_error: CommentLuvError | None = None
        self.permalink: Found | None = None  # a post's own h-entry: the last resort

    def run(self) -> Found:
        page = self._open(self.site)
        if _is_deep(page.document.url):
            # A post or a profile page: the site root knows the blog better than guesses
            # under the page do (WordPress answers /a-post/feed/ with its comments).
            found = (
                self._discover(page, keep=0, explore=False)
                or self._try(self._profile_feeds(page), page.document, keep=0, advertised=False)
                or self._fediverse_profile()
                or self._beyond_the_page(page)
            )
        else:
            found = self._discover(page, keep=0, explore=True)
        found = found or self.permalink
        if found is not None:
            return found
        raise page.missing or self._no_feed()

    def _beyond_the_page(self, page: _Page) -> Found | None:
        """A deep link's site root, then its guesses; none for a fediverse profile (a
        handle's site): the server's home page and guesses are not the person's."""
        if webfinger_url(self.site) is not None:
            return None
        return self._site_root(page.document.url, keep=_DEEP_GUESS_REQUESTS) or self._explore(
            page, keep=0, blog_pages=False
        )

    @staticmethod
    def _profile_feeds(page: _Page) -> list[str]:
        """A profile's feed by rule (/@ann → /@ann.rss): before the site root."""
        ruled = None if page.missing else profile_feed(page.document.url, page.links.canonical)
        return [ruled] if ruled else []

    def _fediverse_profile(self) -> Found | None:
        """A handle's site (``https://host/@alice``) whose page names no feed: the profile
        page the server's WebFinger names (one request more), its feed links, then where
        fediverse servers put a profile's feed."""
        query = webfinger_url(self.site)
        if query is None or self.source.requests_left <= _DEEP_GUESS_REQUESTS:
            return None
        try:
            answer = self.source.webfinger(query)
        except FetchTimeout:
            raise
        except CommentLuvError as exc:
            logger.debug("webfinger %s failed: %s: %s", query, exc.kind, exc)
            return None
        profile = profile_page(answer.body) if answer.status == 200 else None
        if profile is None:
            return None
        logger.debug("%s: WebFinger names the profile %s", self.site, profile)
        found = None
        if page_key(profile) not in self.pages:
            found = self._elsewhere(profile, keep=_DEEP_GUESS_REQUESTS - 1, explore=False)
        return found or self._try(fediverse_feeds(profile), answer, keep=0, advertised=False)

    def _no_feed(self) -> CommentLuvError:
        if isinstance(self.advertised_error, BlockedURL | FeedError):
            return self.advertised_error  # refused, or a feed that cannot be read: not missing
        message = "the site has no discoverable feed"
        if self.advertised_error is not None:
            message += f"; the feed it links to failed: {self.advertised_error.message}"
        return FeedNotFound(message, url=self.site)

    # Pages

    def _open(self, url: str) -> _Page:
        """The page at ``url``, after its redirects and meta refreshes."""
        hops, visited = 0, set[str]()
        while True:
            scanner = HeadScanner()
            document = self.source.page(url, scanner)
            self.pages.update(map(page_key, (url, *document.redirects, document.url)))
            page = _read_page(document, scanner)
            hops += len(document.redirects)
            visited.update(map(page_key, (url, *document.redirects)))
            target = None if page.links.post_feed_urls() else page.links.refresh
            if target is None or page_key(target) == page_key(document.url):
                return page  # no refresh, or one that only reloads the page
            next_url = safe_http_url(target)
            if next_url is None:
                raise BlockedURL(f"refresh to a refused URL: {target[:200]}", url=document.url)
            hops += 1
            if page_key(next_url) in visited:
                raise TooManyRedirects("redirect loop", url=document.url)
            if hops > self.max_redirects:
                raise TooManyRedirects(f"more than {self.max_redirects} redirects", url=url)
            logger.debug("%s refreshes to %s", document.url, next_url)
            url = next_url

    def _discover(self, page: _Page, *, keep: int, explore: bool) -> Found | None:
        """The page's feed: the page itself or its links, then (``explore``) guesses and its
        blog links, keeping ``keep`` requests back for what comes after."""
        if page.is_feed:
            return Found(page.document.url, page.document)
        # h-entry items come before anchors that only their words call a feed ("my feed
        # reader setup": a post title, on an IndieWeb page).
        links = page.links.post_feed_urls(named_only=False)
        found = self._try(links, page.document, keep=keep, advertised=True)
        if found is None and page.missing is None:
            found = self._entries(page)
        if found is None:
            links = page.links.post_feed_urls(named_only=True)
            found = self._try(links, page.document, keep=keep, advertised=True)
        if found is not None or not explore:
            return found
        return self._explore(page, keep=keep, blog_pages=True)

    def _entries(self, page: _Page) -> Found | None:
        """The page's h-entry items as its posts (no request): IndieWeb sites without a
        feed. A deep link whose one entry is the page itself is a post's permalink, not a
        list of posts: kept for the end, in case nothing better turns up."""
        document = page.document
        content_type = document.headers.get("content-type")
        posts = hfeed_posts(document.body, page_url=document.url, site_url=self.site,
                            content_type=content_type)  # fmt: skip
        if not posts:
            return None
        found = Found(document.url, document, posts)
        if len(posts) == 1 and posts[0].link == document.url and _is_deep(document.url):
            self.permalink = self.permalink or found
            return None
        logger.debug("%s: %d h-entry items, no feed", document.url, len(posts))
        return found

    def _explore(self, page: _Page, *, keep: int, blog_pages: bool) -> Found | None:
        """Guesses from the page, then (``blog_pages``) its links that name a blog; nothing
        is guessed from a gone URL."""
        if page.missing is not None:
            return None
        links = page.links
        blogs = links.blog_pages if blog_pages else ()
        guesses = guess_feed_urls(
            page.document.url, links.platform, limit=self.max_candidates, canonical=links.canonical
        )
        keep_back = keep + (SUBPATH_REQUESTS if blogs else 0)
        found = self._try(guesses, page.document, keep=keep_back, advertised=False)
        if found is not None or not blogs:
            return found
        return self._blog_pages(blogs, keep)

    def _blog_pages(self, urls: tuple[str, ...], keep: int) -> Found | None:
        """A blog under a subpath: at most MAX_BLOG_PAGES of the page's blog links."""
        keep = max(keep, self.source.requests_left - SUBPATH_REQUESTS)
        for url in urls[:MAX_BLOG_PAGES]:
            if page_key(url) in self.pages:
                continue
            found = self._elsewhere(url, keep=keep, explore=False)
            if found is not None:
                return found
        return None

    def _site_root(self, url: str, *, keep: int) -> Found | None:
        """A deep link's site root, once."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}/"
        if page_key(root) in self.pages:
            return None
        return self._elsewhere(root, keep=keep, explore=True)

    def _elsewhere(self, url: str, *, keep: int, explore: bool) -> Found | None:
        """Discover from another page of the site; its failure is one more dead end."""
        if self.source.requests_left <= keep:
            return None
        try:
            page = self._open(url)
        except FetchTimeout:
            raise
        except CommentLuvError as exc:
            logger.debug("page %s failed: %s: %s", url, exc.kind, exc)
            return None
        return self._discover(page, keep=keep, explore=explore)

    # Candidates

    def _try(
        self, urls: Iterable[str], page: Document, *, keep: int, advertised: bool
    ) -> Found | None:
        """The first of ``urls`` whose body is a feed, trying at most ``max_candidates`` new
        ones while more than ``keep`` requests are left."""
        limit = self.max_candidates
        for url in urls:
            if limit <= 0 or self.source.requests_left <= keep:
                break
            if url in self.tried or page_key(url) in self.pages:
                continue
            self.tried.add(url)
            limit -= 1
            try:
                found = _try_candidate(url, self.source, page)
            except FetchTimeout:
                raise
            except CommentLuvError as exc:
                logger.debug("candidate %s rejected: %s: %s", url, exc.kind, exc)
                if advertised and self.advertised_error is None:
                    self.advertised_error = exc
                continue
            if found is not None:
                return found
        return None


def _read_page(document: Document, scanner: HeadScanner) -> _Page:
    content_type = document.headers.get("content-type")
    missing = None
    if document.status in _NOT_FOUND_STATUSES:
        status = document.status
        missing = HTTPStatusError.for_status(f"HTTP {status}", url=document.url, status=status)
    elif sniff_feed(document.body, content_type):
        return _Page(document, _NO_LINKS, is_feed=True)
    links = scanner.links if not document.complete and scanner.links else None
    if links is None:
        link_header = document.headers.get("link")
        links = find_feed_links(
            document.body, document.url, content_type=content_type, link_header=link_header
        )
    return _Page(document, links, missing=missing)


def _is_deep(url: str) -> bool:
    """Whether a URL is a page below the site root (a post, a profile, ``?page=about``)."""
    parts = urlsplit(url)
    return parts.path not in ("", "/") or bool(parts.query)


def _try_candidate(candidate: str, source: FeedSource, page: Document) -> Found | None:
    document, posts = source.feed(candidate)
    if document.url in (page.url, *page.redirects):
        logger.debug("candidate %s redirects back to the page", candidate)
        return None
    if not sniff_feed(document.body, document.headers.get("content-type")):
        logger.debug("candidate %s is not a feed", candidate)  # a soft 404, a page
        return None
    return Found(document.url, document, posts)
