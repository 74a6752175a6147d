"""One site's network work, within one deadline: revalidate the feed it is known by, or find
its feed, then read the posts. What to cache and when is the client's business.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

from .._discovery import HeadScanner
from .._discovery.finder import MAX_REQUESTS, Document, find_feed
from .._feeds import FeedReader, parse_posts
from .._feeds.hfeed import hfeed_posts
from .._net.deadline import Deadline
from .._net.fetcher import Fetcher, Response
from ..config import Limits
from ..errors import FeedError, HTTPStatusError, TooManyRedirects
from ..models import Post, PostSource

__all__ = ["Fetched", "KnownFeed", "fetch_site"]

logger = logging.getLogger("commentluv")

PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
WEBFINGER_ACCEPT = "application/jrd+json, application/json;q=0.9"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True)
class KnownFeed:
    """Where a site's posts were read last time (``url``: the feed, or for an h-feed the
    page), and the validators its answer carried, for a conditional request."""

    url: str
    source: PostSource
    etag: str | None
    last_modified: str | None


class Fetched(NamedTuple):
    """What the network said: the feed and its posts, or that the known feed is unchanged
    (``not_modified``, no posts). ``requests`` counts every request sent, redirects too.
    (Immutable as a tuple: one per lookup, a frozen dataclass cost more.)"""

    feed_url: str
    posts: list[Post]
    etag: str | None
    last_modified: str | None
    requests: int
    not_modified: bool = False


class _LookupRequests:
    """The :class:`~commentluv._discovery.finder.FeedSource` of one lookup: the fetches it
    makes, all under its deadline, counted, and never more than ``MAX_REQUESTS``."""

    def __init__(self, fetcher: Fetcher, limits: Limits, site: str, deadline: Deadline) -> None:
        self.fetcher = fetcher
        self.limits = limits
        self.site = site
        self.deadline = deadline
        self.requests = 0

    @property
    def requests_left(self) -> int:
        return MAX_REQUESTS - self.requests

    def _count(self, url: str) -> None:
        """Called before each request the fetcher sends, redirect hops too."""
        if self.requests >= MAX_REQUESTS:
            raise TooManyRedirects(f"the lookup's {MAX_REQUESTS} requests are spent", url=url)
        self.requests += 1

    def page(
        self,
        url: str,
        scanner: HeadScanner,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET a page (a 404 or 410 too, with its body), read up to where ``scanner`` says."""
        return self.fetcher.get(
            url,
            deadline=self.deadline,
            max_bytes=self.limits.max_page_bytes,
            accept=PAGE_ACCEPT,
            etag=etag,
            last_modified=last_modified,
            truncate=True,
            stop=scanner,
            read_error_body=True,
            on_send=self._count,
        )

    def webfinger(self, url: str) -> Response:
        """GET a fediverse server's WebFinger answer (JSON), capped as a page is."""
        return self.fetcher.get(
            url,
            deadline=self.deadline,
            max_bytes=self.limits.max_page_bytes,
            accept=WEBFINGER_ACCEPT,
            on_send=self._count,
        )

    def feed(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> tuple[Response, list[Post] | None]:
        """GET a feed, parsing it as it streams in: a newest-first feed stops the download
        after its first items. The posts are None when the fallback parser must read it."""
        reader = FeedReader(feed_url=url, site_url=self.site, limit=self.limits.max_stored_posts)
        response = self.fetcher.get(
            url,
            deadline=self.deadline,
            max_bytes=self.limits.max_feed_bytes,
            accept=FEED_ACCEPT,
            etag=etag,
            last_modified=last_modified,
            stop=reader,
            on_send=self._count,
        )
        if response.status != 200 or reader.failed:
            return response, None
        return response, reader.result if reader.done else reader.close()

    def revalidate(self, known: KnownFeed) -> tuple[Response, list[Post] | None]:
        """A conditional GET of the feed (or the h-feed page) the site is known by; a page
        that no longer has h-entry items (gone, or linking a feed now) is a FeedError, as a
        feed gone bad is."""
        etag, last_modified = known.etag, known.last_modified
        if known.source == "feed":
            return self.feed(known.url, etag=etag, last_modified=last_modified)
        # A head that names a feed now ends the read: no entries, so the feed is found anew.
        response = self.page(known.url, HeadScanner(), etag=etag, last_modified=last_modified)
        if response.status == 304:
            return response, None
        posts = hfeed_posts(
            response.body,
            page_url=response.url,
            site_url=self.site,
            content_type=response.headers.get("content-type"),
        )
        if not posts:
            raise FeedError("the page no longer has h-entry items", url=response.url)
        return response, posts

    def fetched(self, feed_url: str, document: Document, posts: list[Post] | None) -> Fetched:
        """The outcome, parsing the feed's body when streaming did not read it."""
        if posts is None:
            # The parse is part of the lookup: it gets what is left of the deadline.
            self.deadline.check(feed_url)
            posts = parse_posts(
                document.body,
                feed_url=feed_url,
                site_url=self.site,
                headers=document.headers,
                limit=self.limits.max_stored_posts,
                budget=self.deadline.remaining(),
            )
        return Fetched(
            feed_url=feed_url,
            posts=posts[: self.limits.max_stored_posts],
            etag=document.headers.get("etag"),
            last_modified=document.headers.get("last-modified"),
            requests=self.requests,
        )


def fetch_site(
    fetcher: Fetcher, limits: Limits, site: str, known: KnownFeed | None, deadline: Deadline
) -> Fetched:
    """The site's posts from the network. With ``known``, its feed is revalidated first
    (a conditional request); a feed that moved or broke is forgotten and discovered again."""
    session = _LookupRequests(fetcher, limits, site, deadline)
    if known is not None:
        try:
            response, posts = session.revalidate(known)
            if response.status == 304:
                return Fetched(
                    known.url,
                    [],
                    known.etag,
                    known.last_modified,
                    session.requests,
                    not_modified=True,
                )
            return session.fetched(known.url, response, posts)
        except (HTTPStatusError, FeedError) as exc:
            logger.info("cached feed %s failed (%s); rediscovering", known.url, exc)
    found = find_feed(
        site, session, max_candidates=limits.max_candidates, max_redirects=limits.max_redirects
    )
    return session.fetched(found.feed_url, found.document, found.posts)
