"""The candidate loop: from a commenter's page to the site's posts feed.

It reads the page (only up to ``</head>`` when the head names a feed), takes the page itself
when it is a feed, else tries the ranked feed links and then the platform's and generic
guesses, accepting a candidate only when its body sniffs as a feed. The fetching is the
caller's (a :class:`FeedSource`): this module touches no network.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..errors import CommentLuvError, FeedNotFound, FetchTimeout
from ..models import Post
from .links import HeadScanner, find_feed_links
from .platforms import guess_feed_urls
from .sniff import sniff_feed

__all__ = ["Document", "FeedSource", "Found", "find_feed"]

logger = logging.getLogger("commentluv")


class Document(Protocol):
    """A fetched page or feed, as the network room returns it."""

    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def complete(self) -> bool: ...
    @property
    def redirects(self) -> tuple[str, ...]: ...


class FeedSource(Protocol):
    """How the finder fetches: a page (``scanner`` may stop the read after the head), and a
    candidate feed with the posts read while it streamed in (None: parse the body)."""

    def page(self, url: str, scanner: HeadScanner) -> Document: ...

    def feed(self, url: str) -> tuple[Document, list[Post] | None]: ...


@dataclass(frozen=True)
class Found:
    """The site's feed: its final URL, the response, and its posts when already read."""

    feed_url: str
    document: Document
    posts: list[Post] | None = None


def find_feed(site: str, source: FeedSource, *, max_candidates: int) -> Found:
    """The posts feed of ``site``. Raises :class:`FeedNotFound`, or the first error of a feed
    the page links to when every candidate failed; a timeout ends the search at once."""
    scanner = HeadScanner()
    page = source.page(site, scanner)
    content_type = page.headers.get("content-type")
    if sniff_feed(page.body, content_type):
        return Found(page.url, page)
    links = scanner.links if not page.complete and scanner.links else None
    if links is None:
        links = find_feed_links(page.body, page.url, content_type=content_type)
    linked = {candidate.url for candidate in links.feeds}
    candidates = [
        *links.post_feed_urls(),
        *guess_feed_urls(page.url, links.platform, limit=max_candidates),
    ]
    untried = [url for url in dict.fromkeys(candidates) if url not in (page.url, site)]
    first_error: CommentLuvError | None = None
    for candidate in untried[:max_candidates]:
        try:
            found = _try_candidate(candidate, source, page)
        except FetchTimeout:
            raise
        except CommentLuvError as exc:
            logger.debug("candidate %s rejected: %s: %s", candidate, exc.kind, exc)
            if first_error is None and candidate in linked:
                first_error = exc
            continue
        if found is not None:
            return found
    raise first_error or FeedNotFound("the site has no discoverable feed", url=site)


def _try_candidate(candidate: str, source: FeedSource, page: Document) -> Found | None:
    document, posts = source.feed(candidate)
    if document.url in (page.url, *page.redirects):
        logger.debug("candidate %s redirects back to the page", candidate)
        return None
    if not sniff_feed(document.body, document.headers.get("content-type")):
        logger.debug("candidate %s is not a feed", candidate)  # a soft 404, a page
        return None
    return Found(document.url, document, posts)
