"""The client: orchestrates URL checks, cache, fetching, discovery, parsing and formatting."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from . import discovery
from ._version import __version__
from .cache import Cache, MemoryCache
from .errors import (
    CommentLuvError,
    FeedError,
    FeedNotFound,
    FetchTimeout,
    HTTPStatusError,
    error_from_dict,
)
from .feeds import parse_posts
from .formatting import Format, format_backlink, validate_style
from .guard import DEFAULT_ALLOWED_PORTS, AddressPolicy
from .http import Deadline, Fetcher, Resolver, Response
from .models import Post
from .urls import normalize_site_url

__all__ = ["DEFAULT_USER_AGENT", "CommentLuv"]

logger = logging.getLogger("commentluv")

DEFAULT_USER_AGENT = f"commentluv/{__version__} (+https://github.com/commentluv/commentluv)"
MiB = 1024 * 1024

_PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# Cached entries are JSON-ready dicts (so any backend can store them); this names their shape.
_CACHE_FORMAT = 1
_MAX_STORED_POSTS = 50


@dataclass(frozen=True)
class _Found:
    feed_url: str
    response: Response


class CommentLuv:
    """A configured commentluv client. Thread-safe: share one per process.

    ``timeout`` is the total time budget of one lookup, across every request it makes;
    ``connect_timeout``/``read_timeout`` bound each socket operation inside it. The cache
    keeps the site→feed mapping for ``feed_ttl`` seconds, considers posts fresh for
    ``posts_ttl`` (then revalidates with ETag/Last-Modified), and remembers failures for
    ``error_ttl``. ``allow_private_hosts`` lets lookups reach loopback and private addresses
    on any port (tests and intranets); keep it off for URLs typed by strangers.

    A ``session`` passed in is dedicated to commentluv: its guarded adapters are mounted on
    it, and its proxy, ``.netrc`` and cookie handling are turned off.
    """

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 10.0,
        connect_timeout: float = 3.05,
        read_timeout: float = 5.0,
        max_page_bytes: int = 2 * MiB,
        max_feed_bytes: int = 2 * MiB,
        max_redirects: int = 5,
        max_candidates: int = 5,
        cache: Cache | None = None,
        feed_ttl: float = 3 * 24 * 3600,
        posts_ttl: float = 3600,
        error_ttl: float = 300,
        session: requests.Session | None = None,
        allow_private_hosts: bool = False,
        allowed_ports: Iterable[int] = DEFAULT_ALLOWED_PORTS,
        max_workers: int = 8,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self.max_page_bytes = max_page_bytes
        self.max_feed_bytes = max_feed_bytes
        self.max_candidates = max_candidates
        self.cache: Cache = cache if cache is not None else MemoryCache()
        self.feed_ttl = feed_ttl
        self.posts_ttl = posts_ttl
        self.error_ttl = error_ttl
        self.max_workers = max_workers
        self.policy = AddressPolicy(
            allow_private_hosts=allow_private_hosts, allowed_ports=frozenset(allowed_ports)
        )
        self._clock = clock
        self._fetcher = Fetcher(
            user_agent=user_agent,
            policy=self.policy,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_redirects=max_redirects,
            session=session,
            resolver=resolver,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._fetcher.close()

    def __enter__(self) -> CommentLuv:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Public API

    def latest(self, url: str, *, timeout: float | None = None) -> Post:
        """The newest post of the site at ``url``. Raises a :class:`CommentLuvError`."""
        return self.recent(url, limit=1, timeout=timeout)[0]

    def recent(self, url: str, limit: int = 10, *, timeout: float | None = None) -> list[Post]:
        """Up to ``limit`` posts of the site at ``url``, newest first.

        Raises a :class:`CommentLuvError`; never returns an empty list.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        return self._lookup(url, timeout)[:limit]

    def backlink(
        self,
        name: str,
        url: str,
        *,
        style: str = "card",
        fmt: Format = "text",
        dofollow: bool = False,
        timeout: float | None = None,
    ) -> str | None:
        """The formatted backlink line for ``name``'s latest post, or None when there is none.

        Made for comment-submit handlers: lookup failures are logged, never raised. A bad
        ``style`` or ``fmt`` is a programming error and raises ValueError.
        """
        validate_style(style, fmt)
        try:
            post = self.latest(url, timeout=timeout)
        except CommentLuvError as exc:
            logger.info("no backlink for %r: %s: %s", url[:200], exc.kind, exc)
            return None
        return format_backlink(post, name, style=style, fmt=fmt, dofollow=dofollow)

    def lookup_many(
        self, urls: Iterable[str], *, timeout: float | None = None
    ) -> dict[str, Post | CommentLuvError]:
        """Look up many sites concurrently: each input URL → its newest post, or the error.

        Each lookup has its own deadline, so one slow site never holds up another's result
        beyond that deadline.
        """
        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}

        def one(url: str) -> Post | CommentLuvError:
            try:
                return self.latest(url, timeout=timeout)
            except CommentLuvError as exc:
                return exc

        workers = max(1, min(self.max_workers, len(unique)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="commentluv") as pool:
            return dict(zip(unique, pool.map(one, unique), strict=True))

    # The lookup

    def _lookup(self, url: str, timeout: float | None) -> list[Post]:
        site = normalize_site_url(url)
        self.policy.check_url(site)
        key = _cache_key(site)
        entry = self.cache.get(key)
        if not (isinstance(entry, dict) and entry.get("format") == _CACHE_FORMAT):
            entry = None
        elif "error" in entry:
            raise error_from_dict(entry["error"], url=site)
        elif entry["fresh_until"] > self._clock():
            return [Post.from_dict(post) for post in entry["posts"]]
        deadline = Deadline(timeout if timeout is not None else self.timeout)
        try:
            return self._refresh(site, entry, deadline)
        except CommentLuvError as exc:
            if entry is None:
                self.cache.set(
                    key, {"format": _CACHE_FORMAT, "error": exc.to_dict()}, self.error_ttl
                )
                raise
            # Stale posts beat no posts: keep showing them, and retry after error_ttl.
            logger.warning(
                "refreshing %s failed (%s: %s); serving cached posts", site, exc.kind, exc
            )
            self.cache.set(
                key, {**entry, "fresh_until": self._clock() + self.error_ttl}, self.feed_ttl
            )
            return [Post.from_dict(post) for post in entry["posts"]]
        finally:
            deadline.close()

    def _refresh(self, site: str, entry: dict[str, Any] | None, deadline: Deadline) -> list[Post]:
        if entry is not None:
            try:
                return self._revalidate(site, entry, deadline)
            except (HTTPStatusError, FeedError) as exc:
                # The feed moved or broke: forget it and discover again.
                logger.info("cached feed %s failed (%s); rediscovering", entry["feed_url"], exc)
        found = self._discover(site, deadline)
        return self._store(site, found.feed_url, found.response)

    def _revalidate(self, site: str, entry: dict[str, Any], deadline: Deadline) -> list[Post]:
        response = self._fetcher.get(
            entry["feed_url"],
            deadline=deadline,
            max_bytes=self.max_feed_bytes,
            accept=_FEED_ACCEPT,
            etag=entry.get("etag"),
            last_modified=entry.get("last_modified"),
        )
        if response.status == 304:
            entry = {**entry, "fresh_until": self._clock() + self.posts_ttl}
            self.cache.set(_cache_key(site), entry, self.feed_ttl)
            return [Post.from_dict(post) for post in entry["posts"]]
        return self._store(site, entry["feed_url"], response)

    def _store(self, site: str, feed_url: str, response: Response) -> list[Post]:
        posts = parse_posts(
            response.body, feed_url=feed_url, site_url=site, headers=response.headers
        )
        entry = {
            "format": _CACHE_FORMAT,
            "feed_url": feed_url,
            "posts": [post.to_dict() for post in posts[:_MAX_STORED_POSTS]],
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "fresh_until": self._clock() + self.posts_ttl,
        }
        self.cache.set(_cache_key(site), entry, self.feed_ttl)
        return posts

    def _discover(self, site: str, deadline: Deadline) -> _Found:
        watcher = _HeadWatcher()
        page = self._fetcher.get(
            site,
            deadline=deadline,
            max_bytes=self.max_page_bytes,
            accept=_PAGE_ACCEPT,
            truncate=True,
            stop=watcher,
        )
        content_type = page.headers.get("content-type")
        if discovery.sniff_feed(page.body, content_type):
            return _Found(page.url, page)
        links = watcher.links if not page.complete and watcher.links else None
        if links is None:
            links = discovery.find_feed_links(page.body, page.url, content_type=content_type)
        linked = {candidate.url for candidate in links.feeds}
        candidates = [
            *_linked_in_order(links),
            *discovery.guess_feed_urls(page.url, links.platform, limit=self.max_candidates),
        ]
        untried = [url for url in dict.fromkeys(candidates) if url not in (page.url, site)]
        first_error: CommentLuvError | None = None
        for candidate in untried[: self.max_candidates]:
            try:
                found = self._try_candidate(candidate, page, deadline)
            except FetchTimeout:
                raise
            except CommentLuvError as exc:
                logger.debug("candidate %s rejected: %s", candidate, exc)
                if first_error is None and candidate in linked:
                    first_error = exc
                continue
            if found is not None:
                return found
        raise first_error or FeedNotFound("the site has no discoverable feed", url=site)

    def _try_candidate(self, candidate: str, page: Response, deadline: Deadline) -> _Found | None:
        response = self._fetcher.get(
            candidate, deadline=deadline, max_bytes=self.max_feed_bytes, accept=_FEED_ACCEPT
        )
        if response.url in (page.url, *page.redirects):
            return None  # a guess that redirects back to the home page
        if not discovery.sniff_feed(response.body, response.headers.get("content-type")):
            return None  # a soft-404 page or anything else that is not a feed
        return _Found(response.url, response)


def _linked_in_order(links: discovery.PageLinks) -> list[str]:
    """Candidate URLs the page itself names: head links first, then body anchors. Comments
    feeds are left out: their newest entry is a comment, not the commenter's post."""
    return [c.url for c in (*links.feeds, *links.anchors) if not c.is_comments]


class _HeadWatcher:
    """Stops reading a page once its head is complete and names a feed (the rest of a
    5 MB homepage is not worth reading). Scans each chunk once."""

    def __init__(self) -> None:
        self.links: discovery.PageLinks | None = None
        self._searched = 0
        self._done = False

    def __call__(self, url: str, body: bytearray) -> bool:
        if self._done:
            return False
        if self._searched == 0 and discovery.sniff_feed(bytes(body[:4096])):
            self._done = True  # the page is itself a feed: read it all
            return False
        # Re-scan a few bytes of the previous chunk in case "</head>" straddles the boundary.
        end = discovery.head_end(body, self._searched - 16)
        self._searched = len(body)
        if end is None:
            return False
        self._done = True
        self.links = discovery.find_feed_links(bytes(body[:end]), url)
        return any(not candidate.is_comments for candidate in self.links.feeds)


def _cache_key(site: str) -> str:
    return f"commentluv:site:{site}"
