"""The client: orchestrates URL checks, cache, fetching, discovery, parsing and formatting."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._feeds import parse_posts
from ._urls import normalize_site_url
from ._version import __version__
from .cache import AddCache, Cache, MemoryCache
from .errors import (
    CommentLuvError,
    FeedError,
    FeedNotFound,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    error_from_dict,
)
from .formatting import Format, format_backlink, validate_style
from .guard import DEFAULT_ALLOWED_PORTS, AddressPolicy
from .models import Post

if TYPE_CHECKING:
    import requests

    from .http import Deadline, Fetcher, Resolver, Response

__all__ = ["DEFAULT_USER_AGENT", "CommentLuv", "WarmResult"]

logger = logging.getLogger("commentluv")

DEFAULT_USER_AGENT = f"commentluv/{__version__} (+https://github.com/commentluv/commentluv)"
MiB = 1024 * 1024

_PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# One cache entry per site, a JSON-ready dict (so any backend can store it), under the key
# "commentluv:site:<normalised site URL>":
#   {"format": 1, "feed_url": str, "posts": [Post.to_dict(), ...] (newest first, at most 50),
#    "etag": str | None, "last_modified": str | None, "fresh_until": Unix time}
# or, after a failed lookup (kept for error_ttl): {"format": 1, "error": {"kind", "message"}}.
# Bump the number when the shape changes: entries of another format read as misses.
_CACHE_FORMAT = 1
_MAX_STORED_POSTS = 50
# How often a lookup checks whether another process's fetch of the same site has finished.
_LOCK_POLL = 0.05

_R = TypeVar("_R")


@dataclass(frozen=True)
class WarmResult:
    """What :meth:`CommentLuv.warm` did for one URL: its posts, or the error."""

    posts: tuple[Post, ...]
    error: CommentLuvError | None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class _Found:
    feed_url: str
    response: Response
    posts: list[Post] | None = None  # the fast path's answer, read while streaming


class CommentLuv:
    """A configured commentluv client. Thread-safe: share one per process.

    ``timeout`` is the total time budget of one lookup, across every request it makes;
    ``connect_timeout``/``read_timeout`` bound each socket operation inside it. The cache
    keeps the site→feed mapping for ``feed_ttl`` seconds, considers posts fresh for
    ``posts_ttl`` (then revalidates with ETag/Last-Modified), and remembers failures for
    ``error_ttl``. For ``stale_ttl`` seconds past ``posts_ttl``, lookups answer at once with
    the stale posts while one background refresh runs. ``allow_private_hosts`` lets lookups
    reach loopback and private addresses on any port (tests and intranets); keep it off for
    URLs typed by strangers.

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
        stale_ttl: float = 24 * 3600,
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
        self.stale_ttl = stale_ttl
        # An entry must outlive its stale window, and keeps its feed URL for feed_ttl.
        self._entry_ttl = max(feed_ttl, posts_ttl + stale_ttl)
        self.max_workers = max_workers
        self._add = self.cache.add if isinstance(self.cache, AddCache) else None
        # Commenters' URLs repeat: skip re-normalising them on every lookup.
        self._resolved = functools.lru_cache(maxsize=1024)(self._resolve_site)
        self._inflight: dict[str, Future[list[Post]]] = {}
        self._inflight_lock = threading.Lock()
        # Threads start on the first background refresh, never on a cache hit.
        self._executor = ThreadPoolExecutor(
            max_workers=min(4, max(1, max_workers)), thread_name_prefix="commentluv-refresh"
        )
        self.policy = AddressPolicy(
            allow_private_hosts=allow_private_hosts, allowed_ports=frozenset(allowed_ports)
        )
        self._clock = clock
        self._fetcher_options: dict[str, Any] = {
            "user_agent": user_agent,
            "policy": self.policy,
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "max_redirects": max_redirects,
            "session": session,
            "resolver": resolver,
        }
        self._fetcher_instance: Fetcher | None = None
        self._fetcher_lock = threading.Lock()

    @property
    def _fetcher(self) -> Fetcher:
        # Built on the first lookup that needs the network: a process answering from a
        # persistent cache (a CLI run) never imports requests.
        with self._fetcher_lock:
            if self._fetcher_instance is None:
                from .http import Fetcher

                self._fetcher_instance = Fetcher(**self._fetcher_options)
            return self._fetcher_instance

    def close(self) -> None:
        """Wait for background refreshes, then close pooled connections."""
        self._executor.shutdown(wait=True)
        with self._fetcher_lock:
            if self._fetcher_instance is not None:
                self._fetcher_instance.close()

    def __enter__(self) -> CommentLuv:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Public API

    def latest(self, url: str, *, timeout: float | None = None) -> Post:
        """The newest post of the site at ``url``. Raises a :class:`CommentLuvError`."""
        return self._posts(url, 1, timeout)[0]

    def recent(self, url: str, limit: int = 10, *, timeout: float | None = None) -> list[Post]:
        """Up to ``limit`` posts of the site at ``url``, newest first.

        Raises a :class:`CommentLuvError`; never returns an empty list.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        return self._posts(url, limit, timeout)

    def cached(self, url: str) -> Post | None:
        """The newest post the cache holds for ``url``, fresh or stale, else None.

        Never touches the network and never raises for a bad URL: made for render paths.
        """
        try:
            key = self._site_key(url)[1]
        except CommentLuvError:
            return None
        entry = self._entry(key)
        if entry is None or "error" in entry:
            return None
        return _posts_of(entry, 1)[0]

    def refresh(self, url: str, *, timeout: float | None = None) -> list[Post]:
        """Fetch the site's posts now, whatever the cache holds, and cache them.

        Raises a :class:`CommentLuvError` (cached posts are kept when the fetch fails).
        """
        site, key = self._site_key(url)
        return self._shared_fetch(site, key, timeout, force=True)

    def warm(self, urls: Iterable[str], *, timeout: float | None = None) -> dict[str, WarmResult]:
        """Refresh many sites concurrently (a cron job, a site build): input URL → result."""

        def one(url: str) -> WarmResult:
            try:
                return WarmResult(tuple(self.refresh(url, timeout=timeout)), None)
            except CommentLuvError as exc:
                return WarmResult((), exc)

        return self._map(one, urls)

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

        def one(url: str) -> Post | CommentLuvError:
            try:
                return self.latest(url, timeout=timeout)
            except CommentLuvError as exc:
                return exc

        return self._map(one, urls)

    def _map(self, work: Callable[[str], _R], urls: Iterable[str]) -> dict[str, _R]:
        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}
        workers = max(1, min(self.max_workers, len(unique)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="commentluv") as pool:
            return dict(zip(unique, pool.map(work, unique), strict=True))

    # The lookup. The hit path (fresh or stale entry) makes no request and starts no thread.

    def _posts(self, url: str, limit: int, timeout: float | None) -> list[Post]:
        site, key = self._site_key(url)
        entry = self._entry(key)
        if entry is not None:
            if "error" in entry:
                raise error_from_dict(entry["error"], url=site)
            fresh_until = entry["fresh_until"]
            now = self._clock()
            if now < fresh_until:
                return _posts_of(entry, limit)
            if now < fresh_until + self.stale_ttl:
                self._refresh_in_background(site, key)
                return _posts_of(entry, limit)
        return self._shared_fetch(site, key, timeout)[:limit]

    def _site_key(self, url: str) -> tuple[str, str]:
        """The normalised site URL and its cache key; raises for a URL that may not be fetched."""
        if not isinstance(url, str):  # unhashable input would break the LRU cache
            raise InvalidURL("URL must be a string")
        return self._resolved(url)

    def _resolve_site(self, url: str) -> tuple[str, str]:
        site = normalize_site_url(url)
        self.policy.check_url(site)
        return site, _cache_key(site)

    def _entry(self, key: str) -> dict[str, Any] | None:
        entry = self.cache.get(key)
        if isinstance(entry, dict) and entry.get("format") == _CACHE_FORMAT:
            return entry
        return None  # missing, or written by another version

    def _is_fresh(self, entry: dict[str, Any] | None) -> bool:
        return entry is not None and ("error" in entry or entry["fresh_until"] > self._clock())

    def _refresh_in_background(self, site: str, key: str) -> None:
        future, owner = self._claim(key)
        if not owner:
            return
        try:
            job = self._executor.submit(self._fetch, site, key, None, False, future)
        except RuntimeError:  # the client is closed: serve the stale posts, refresh nothing
            self._release(key)
            future.cancel()
            return
        job.add_done_callback(_log_unexpected_failure)

    def _shared_fetch(
        self, site: str, key: str, timeout: float | None, *, force: bool = False
    ) -> list[Post]:
        """Fetch the site, or wait for the fetch of it already running in this client."""
        future, owner = self._claim(key)
        if owner:
            return self._fetch(site, key, timeout, force, future)
        try:
            return future.result(timeout=timeout if timeout is not None else self.timeout)
        except FutureTimeout:
            raise FetchTimeout("the lookup's deadline passed", url=site) from None

    def _claim(self, key: str) -> tuple[Future[list[Post]], bool]:
        """The in-flight fetch of ``key``, and whether the caller has just become its owner."""
        with self._inflight_lock:
            future = self._inflight.get(key)
            if future is not None:
                return future, False
            future = self._inflight[key] = Future()
            return future, True

    def _fetch(
        self,
        site: str,
        key: str,
        timeout: float | None,
        force: bool,
        future: Future[list[Post]],
    ) -> list[Post]:
        """Run the fetch the caller owns and hand its outcome to everyone waiting on it."""
        try:
            posts = self._fetch_now(site, key, timeout, force)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(posts)
            return posts
        finally:
            self._release(key)

    def _release(self, key: str) -> None:
        with self._inflight_lock:
            del self._inflight[key]

    def _fetch_now(self, site: str, key: str, timeout: float | None, force: bool) -> list[Post]:
        from .http import Deadline

        deadline = Deadline(timeout if timeout is not None else self.timeout)
        locked = False
        try:
            if not force:
                locked = self._lock_site(site, key, deadline)
            entry = self._entry(key)
            if entry is not None and not force and self._is_fresh(entry):
                # Another thread or process has just fetched it.
                if "error" in entry:
                    raise error_from_dict(entry["error"], url=site)
                return _posts_of(entry, None)
            if entry is not None and "error" in entry:
                entry = None
            return self._refresh_or_fall_back(site, key, entry, deadline)
        finally:
            if locked:
                self.cache.delete(_lock_key(site))
            deadline.close()

    def _lock_site(self, site: str, key: str, deadline: Deadline) -> bool:
        """Take the shared backend's short lock on fetching ``site``; True when taken.

        While another process holds it, wait for that process's result for up to half the
        deadline, then fetch anyway (its fetch may have died). Backends without ``add``
        have no such lock.
        """
        if self._add is None:
            return False
        give_up = time.monotonic() + deadline.remaining() / 2
        while not self._add(_lock_key(site), True, self.timeout + 1):
            if self._is_fresh(self._entry(key)) or time.monotonic() >= give_up:
                return False
            time.sleep(_LOCK_POLL)
        return True

    def _refresh_or_fall_back(
        self, site: str, key: str, entry: dict[str, Any] | None, deadline: Deadline
    ) -> list[Post]:
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
                key, {**entry, "fresh_until": self._clock() + self.error_ttl}, self._entry_ttl
            )
            return _posts_of(entry, None)

    def _refresh(self, site: str, entry: dict[str, Any] | None, deadline: Deadline) -> list[Post]:
        if entry is not None:
            try:
                return self._revalidate(site, entry, deadline)
            except (HTTPStatusError, FeedError) as exc:
                # The feed moved or broke: forget it and discover again.
                logger.info("cached feed %s failed (%s); rediscovering", entry["feed_url"], exc)
        found = self._discover(site, deadline)
        return self._store(site, found.feed_url, found.response, found.posts)

    def _revalidate(self, site: str, entry: dict[str, Any], deadline: Deadline) -> list[Post]:
        response, posts = self._fetch_feed(
            entry["feed_url"],
            site,
            deadline,
            etag=entry.get("etag"),
            last_modified=entry.get("last_modified"),
        )
        if response.status == 304:
            entry = {**entry, "fresh_until": self._clock() + self.posts_ttl}
            self.cache.set(_cache_key(site), entry, self._entry_ttl)
            return _posts_of(entry, None)
        return self._store(site, entry["feed_url"], response, posts)

    def _fetch_feed(
        self,
        url: str,
        site: str,
        deadline: Deadline,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> tuple[Response, list[Post] | None]:
        """GET a feed, parsing it as it streams in: a newest-first feed stops the download
        after its first items. The posts are None when feedparser must read the body."""
        from ._feeds import FeedReader  # imports lxml: on the first feed, not at start-up

        reader = FeedReader(feed_url=url, site_url=site, limit=_MAX_STORED_POSTS)
        response = self._fetcher.get(
            url,
            deadline=deadline,
            max_bytes=self.max_feed_bytes,
            accept=_FEED_ACCEPT,
            etag=etag,
            last_modified=last_modified,
            stop=reader,
        )
        if response.status != 200 or reader.failed:
            return response, None
        return response, reader.result if reader.done else reader.close()

    def _store(
        self, site: str, feed_url: str, response: Response, posts: list[Post] | None = None
    ) -> list[Post]:
        if posts is None:
            posts = parse_posts(
                response.body,
                feed_url=feed_url,
                site_url=site,
                headers=response.headers,
                limit=_MAX_STORED_POSTS,
            )
        entry = {
            "format": _CACHE_FORMAT,
            "feed_url": feed_url,
            "posts": [post.to_dict() for post in posts[:_MAX_STORED_POSTS]],
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "fresh_until": self._clock() + self.posts_ttl,
        }
        self.cache.set(_cache_key(site), entry, self._entry_ttl)
        return posts

    def _discover(self, site: str, deadline: Deadline) -> _Found:
        from . import _discovery as discovery  # bs4 and friends: only for network lookups

        scanner = discovery.HeadScanner()
        page = self._fetcher.get(
            site,
            deadline=deadline,
            max_bytes=self.max_page_bytes,
            accept=_PAGE_ACCEPT,
            truncate=True,
            stop=scanner,
        )
        content_type = page.headers.get("content-type")
        if discovery.sniff_feed(page.body, content_type):
            return _Found(page.url, page)
        links = scanner.links if not page.complete and scanner.links else None
        if links is None:
            links = discovery.find_feed_links(page.body, page.url, content_type=content_type)
        linked = {candidate.url for candidate in links.feeds}
        candidates = [
            *links.post_feed_urls(),
            *discovery.guess_feed_urls(page.url, links.platform, limit=self.max_candidates),
        ]
        untried = [url for url in dict.fromkeys(candidates) if url not in (page.url, site)]
        first_error: CommentLuvError | None = None
        for candidate in untried[: self.max_candidates]:
            try:
                found = self._try_candidate(candidate, site, page, deadline)
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

    def _try_candidate(
        self, candidate: str, site: str, page: Response, deadline: Deadline
    ) -> _Found | None:
        from . import _discovery as discovery

        response, posts = self._fetch_feed(candidate, site, deadline)
        if response.url in (page.url, *page.redirects):
            return None  # a guess that redirects back to the home page
        if not discovery.sniff_feed(response.body, response.headers.get("content-type")):
            return None  # a soft-404 page or anything else that is not a feed
        return _Found(response.url, response, posts)


def _cache_key(site: str) -> str:
    return f"commentluv:site:{site}"


def _lock_key(site: str) -> str:
    return f"commentluv:fetching:{site}"


def _posts_of(entry: dict[str, Any], limit: int | None) -> list[Post]:
    # Only the posts asked for are decoded: latest() needs one of up to 50.
    return [Post.from_dict(post) for post in entry["posts"][:limit]]


def _log_unexpected_failure(job: Future[list[Post]]) -> None:
    # Lookup errors are handled (and logged) by the refresh itself; anything else is a bug.
    error = job.exception()
    if error is not None and not isinstance(error, CommentLuvError):
        logger.error("background refresh failed", exc_info=error)
