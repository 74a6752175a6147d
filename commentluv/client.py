"""The client: the public lookup methods and the refresh policy (what the cache answers, when
to fetch, what to remember). The network sequence is ``_lookup``'s, the cache format
``_store``'s, the options ``config``'s.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from ._engine.queue import RefreshQueue
from ._engine.refresh import BackgroundRefreshes
from ._engine.singleflight import SingleFlight
from ._engine.store import UNLOCKED, FailedEntry, SiteEntry, SiteStore
from ._net.deadline import Deadline
from ._net.network import Network, NetworkOptions
from ._shared.text import counted
from ._shared.urls import normalize_site_url
from ._version import __version__
from .cache import Cache, MemoryCache
from .config import SHORTHANDS, AddressPolicy, Freshness, Limits, Timeouts, merge
from .errors import CommentLuvError, InvalidURL, LookupCancelled
from .formatting import Format, format_backlink, validate_style
from .models import ChoiceCheck, LookupResult, Post
from .tokens import MAX_CHOICES, ChoiceSigner

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._net.deadline import Deadline
    from ._net.resolve import Resolver
    from ._net.transport import Transport
    from .config import Shorthands

__all__ = ["DEFAULT_USER_AGENT", "CommentLuv"]

logger = logging.getLogger("commentluv")

DEFAULT_USER_AGENT = f"commentluv/{__version__} (+https://github.com/commentluv/commentluv)"

_R = TypeVar("_R")


class CommentLuv:
    """A configured commentluv client. Thread-safe: share one per process.

    Options come grouped (``timeouts``, ``limits``, ``freshness``, ``policy``: see
    :mod:`commentluv.config` for each field and its default) or as shorthands for the common
    fields (``timeout``, ``connect_timeout``, ``read_timeout``, ``max_page_bytes``,
    ``max_feed_bytes``, ``max_redirects``, ``max_candidates``, ``max_workers``,
    ``posts_ttl``, ``stale_ttl``, ``feed_ttl``, ``error_ttl``, ``allow_private_hosts``,
    ``allowed_ports``); a group and its own shorthands together are refused.

    ``cache`` defaults to a :class:`~commentluv.cache.MemoryCache`. ``transport`` is the
    seam to the network (default: an :class:`~commentluv.HTTPTransport` built from the
    timeouts, ``resolver`` and ``ca_bundle``; tests pass a
    :class:`~commentluv.MockTransport`); a transport passed in is not closed by
    :meth:`close`. ``ca_bundle`` is a PEM file of the certificate authorities TLS
    certificates are checked against (default: ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set,
    else the system's store with the ``truststore`` extra, else certifi's). ``clock`` is the
    wall clock cache freshness (and a choice token's expiry) is judged by.
    ``choice_secret`` (str or bytes, 16 bytes or more, kept private) signs and checks the
    comment form's choice tokens: see :meth:`verify_choice`. ``refresher`` hands background
    refreshes to a task queue: see :meth:`cached_latest` and ``commentluv.integrations.celery``.
    """

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        limits: Limits | None = None,
        freshness: Freshness | None = None,
        policy: AddressPolicy | None = None,
        cache: Cache | None = None,
        transport: Transport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        resolver: Resolver | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
        choice_secret: str | bytes | None = None,
        refresher: Callable[[str], Any] | None = None,
        **shorthands: Unpack[Shorthands],
    ) -> None:
        unknown = sorted(set(shorthands) - set(SHORTHANDS))
        if unknown:
            raise TypeError(f"CommentLuv() got unexpected keyword arguments: {', '.join(unknown)}")
        if transport is not None and (resolver is not None or ca_bundle is not None):
            raise TypeError(
                "pass resolver= and ca_bundle= to the HTTPTransport given as transport="
            )
        self.timeouts = merge(timeouts, Timeouts, shorthands)
        self.limits = merge(limits, Limits, shorthands)
        self.freshness = merge(freshness, Freshness, shorthands)
        self.policy = merge(policy, AddressPolicy, shorthands)
        self.user_agent = user_agent
        self.clock = clock
        self.cache: Cache = cache if cache is not None else MemoryCache()
        self._store = SiteStore(self.cache, self.freshness, clock)
        self._queue_lock = threading.Lock()
        self._flight: SingleFlight[LookupResult] = SingleFlight()
        # Commenters' URLs repeat: skip re-normalising them on every lookup.
        self._site = functools.lru_cache(maxsize=1024)(self._check_site)
        queued = (refresher, self.join_refresh_queue()) if refresher is not None else None
        # Threads start on the first background refresh, never on a cache hit.
        fetch = functools.partial(self._fetch, seconds=self.timeouts.total, force=False)
        workers = min(4, self.limits.max_workers)
        self._behind = BackgroundRefreshes(self._flight, fetch, workers, queued)
        options = NetworkOptions(self.timeouts.connect, self.timeouts.read, resolver, ca_bundle)
        self._network = Network(
            transport,
            options,
            policy=self.policy,
            user_agent=user_agent,
            max_redirects=self.limits.max_redirects,
        )
        # The deadlines of the network lookups running now, for cancel_lookups().
        self._running: set[Deadline] = set()
        self._running_lock = threading.Lock()
        self.choice_signer = ChoiceSigner(choice_secret) if choice_secret is not None else None

    @property
    def timeout(self) -> float:
        """The total time budget of one lookup, in seconds."""
        return self.timeouts.total

    def close(self) -> None:
        """Wait for background refreshes, then close the connections this client opened."""
        self._behind.close()
        self._network.close()

    def cancel_lookups(self) -> int:
        """Cut off every network lookup this client is running now (a batch stopping on
        Ctrl-C): their sockets are shut down and each returns a :class:`LookupCancelled`
        error at once. Nothing a cancelled lookup learnt is cached, not even a failure: the
        interrupt says nothing about the site. Lookups started later run as usual. Returns how
        many were cut off."""
        with self._running_lock:
            running = list(self._running)
        for deadline in running:
            deadline.cancel()
        return len(running)

    def __enter__(self) -> CommentLuv:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Public API

    def latest(self, url: str, *, timeout: float | None = None) -> Post:
        """The newest post of the site at ``url``. Raises a :class:`CommentLuvError`."""
        return self._answer(url, 1, timeout).posts_or_raise()[0]

    def recent(self, url: str, limit: int = 10, *, timeout: float | None = None) -> list[Post]:
        """Up to ``limit`` posts of the site at ``url``, newest first.

        Raises a :class:`CommentLuvError`; never returns an empty list.
        """
        _check_limit(limit)
        return self._answer(url, limit, timeout).posts_or_raise()

    def lookup(
        self, url: str, limit: int = 1, *, refresh: bool = False, timeout: float | None = None
    ) -> LookupResult:
        """Up to ``limit`` posts, or the error, saying whether the answer came from the
        cache; never raises (an unexpected failure is logged and returned as a
        :class:`CommentLuvError` of kind ``error``). ``refresh`` skips the cache."""
        _check_limit(limit)
        try:
            return self._answer(url, limit, timeout, refresh=refresh)
        except CommentLuvError as exc:  # the URL itself is refused
            return LookupResult((), exc, cached=False)
        except Exception as exc:
            # A bug must not cost a batch (warm, lookup_many, the CLI) every other result.
            logger.error("looking up %r failed unexpectedly", url[:200], exc_info=exc)
            failure = CommentLuvError(f"unexpected error ({type(exc).__name__})", url=url)
            return LookupResult((), failure, cached=False)

    def lookup_if_cached(self, url: str, limit: int = 1) -> LookupResult | None:
        """What :meth:`lookup` answers from the cache (posts, or a remembered failure), or
        None when it would have to wait for the network. A stale entry starts one background
        refresh, as in :meth:`lookup`. A URL that may not be looked up gives its error."""
        _check_limit(limit)
        try:
            site = self._site(url)
        except CommentLuvError as exc:
            return LookupResult((), exc, cached=False)
        self._behind.viewed(site)
        return self._from_cache(site, limit)

    def cached_latest(self, url: str) -> Post | None:
        """The newest post the cache holds for ``url``, fresh or stale, else None.

        Never touches the network and never raises for a bad URL: made for render paths.
        With a ``refresher`` (a task queue), a miss or a stale entry is passed to it, as the
        normalised site URL, on a background thread (one queued per site until refreshed,
        across the processes sharing the cache; a stale entry read by the other methods
        goes there too), and reads are counted for :meth:`claim_due_refreshes`.
        """
        try:
            site = self._site(url)
        except CommentLuvError:
            return None
        entry = self._store.read(site)
        self._behind.viewed(site)
        if self._behind.queued and not self._store.is_fresh(entry):
            self._behind.refresh(site)
        return entry.posts(1)[0] if isinstance(entry, SiteEntry) else None

    def join_refresh_queue(self) -> RefreshQueue:
        """Keep a refresh task queue's books on every write from now on: the index of sites
        by when their posts go stale (for :meth:`claim_due_refreshes`) and the end of a
        site's queued-refresh claim. A client with a ``refresher`` has joined; a worker that
        serves the queue joins (``commentluv.integrations.celery`` does it for its workers).
        A client outside a queue does none of this work. Idempotent."""
        with self._queue_lock:
            if self._store.queue is None:
                self._store.queue = RefreshQueue(self.cache, self.freshness, self.clock)
            return self._store.queue

    def claim_due_refreshes(self, within: float, *, limit: int = 1000) -> list[str]:
        """Up to ``limit`` sites (normalised URLs) whose posts stop being fresh within
        ``within`` seconds and that were read through a client with a ``refresher`` since
        their last refresh, most read first; each is claimed as queued, so left out of the
        next call until refreshed. Empty unless the cache is an ``IndexCache``; joins the
        refresh queue (:meth:`join_refresh_queue`)."""
        queue = self.join_refresh_queue()
        return [site for site in queue.due(within, limit) if queue.claim(site)]

    def refresh(self, url: str, *, timeout: float | None = None) -> list[Post]:
        """Fetch the site's posts now, whatever the cache holds, and cache them.

        Raises a :class:`CommentLuvError` (cached posts are kept when the fetch fails).
        """
        return self._answer(url, None, timeout, refresh=True).posts_or_raise()

    def warm(self, urls: Iterable[str], *, timeout: float | None = None) -> dict[str, LookupResult]:
        """Refresh many sites concurrently (a cron job, a site build): input URL → result."""
        return self._map(
            lambda url: self.lookup(
                url, self.limits.max_stored_posts, refresh=True, timeout=timeout
            ),
            urls,
        )

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

    def verify_choice(
        self,
        site_url: str,
        chosen_link: str,
        token: str | None = None,
        *,
        timeout: float | None = None,
    ) -> ChoiceCheck:
        """Check the post a commenter chose in the comment form, before saving it.

        With the form's ``token`` (issued by the comment-form service under this client's
        ``choice_secret``), the link must have been offered for this site, and the token be
        genuine and unexpired. Without one (or an empty one) the link must be among the
        site's 10 latest posts. Either way the result's :class:`Post` is the feed's own (its
        title never comes from the form), read from the cache first, then with one fetch
        within ``timeout``. Never raises a :class:`CommentLuvError`; a token given to a client
        without a ``choice_secret`` is a ValueError.
        """
        signer = self.choice_signer
        if token and signer is None:
            raise ValueError("checking a choice token needs CommentLuv(choice_secret=...)")
        started = time.monotonic()
        try:
            site = self._site(site_url)
        except CommentLuvError as exc:
            return ChoiceCheck(None, "lookup_failed", exc)
        link = chosen_link.strip() if isinstance(chosen_link, str) else ""
        if token and signer is not None:
            reason = signer.check(token, site, link, now=self._store.clock())
            if reason != "ok":
                return ChoiceCheck(None, reason)
        # An offered post may have moved down the feed since; an unsigned choice must be recent.
        limit = self.limits.max_stored_posts if token else MAX_CHOICES
        total = timeout if timeout is not None else self.timeouts.total
        result = self._answer(site, limit, total)
        post = _post_with_link(result, link)
        remaining = total - (time.monotonic() - started)
        if post is None and result.cached and remaining > 0:
            # The commenter may have published since the cache was filled: look once more.
            result = self._answer(site, limit, remaining, refresh=True)
            post = _post_with_link(result, link)
        if post is not None:
            return ChoiceCheck(post, "ok")
        if result.error is not None:
            return ChoiceCheck(None, "lookup_failed", result.error)
        return ChoiceCheck(None, "not_recent")

    def lookup_many(
        self, urls: Iterable[str], *, timeout: float | None = None
    ) -> dict[str, Post | CommentLuvError]:
        """Look up many sites concurrently: each input URL → its newest post, or the error.

        Each lookup has its own deadline, so one slow site never holds up another's result
        beyond that deadline.
        """

        def one(url: str) -> Post | CommentLuvError:
            result = self.lookup(url, timeout=timeout)
            return result.error or result.posts[0]

        return self._map(one, urls)

    def _map(self, work: Callable[[str], _R], urls: Iterable[str]) -> dict[str, _R]:
        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}
        workers = max(1, min(self.limits.max_workers, len(unique)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="commentluv") as pool:
            return dict(zip(unique, pool.map(work, unique), strict=True))

    # The refresh policy. A hit (fresh or stale entry) makes no request and starts no thread.

    def _answer(
        self, url: str, limit: int | None, timeout: float | None, *, refresh: bool = False
    ) -> LookupResult:
        """The answer for ``url``: from the cache when it can, else from one shared fetch.
        Raises only for a URL that may not be looked up at all."""
        site = self._site(url)
        if not refresh:
            cached = self._from_cache(site, limit)
            if cached is not None:
                return cached
        total = timeout if timeout is not None else self.timeouts.total
        try:
            result = self._flight.run(
                site, lambda: self._fetch(site, total, force=refresh), wait=total
            )
        except CommentLuvError as exc:  # the wait for another thread's fetch timed out
            return LookupResult((), exc, cached=False)
        if limit is None or len(result.posts) <= limit:
            return result
        # Not dataclasses.replace(): it costs each lookup more than the result's own __init__.
        return LookupResult(result.posts[:limit], result.error, result.cached, result.fresh_until)

    def _from_cache(self, site: str, limit: int | None) -> LookupResult | None:
        entry = self._store.read(site)
        if isinstance(entry, FailedEntry):
            return LookupResult((), entry.to_error(site), cached=True)
        if entry is not None and (self._store.is_fresh(entry) or self._refresh_behind(site, entry)):
            return _entry_result(entry, limit, cached=True)
        return None

    def _check_site(self, url: str) -> str:
        """The normalised site URL; raises for a URL that may not be fetched."""
        if not isinstance(url, str):
            raise InvalidURL("URL must be a string")
        site = normalize_site_url(url)
        self.policy.check_url(site)
        return site

    def _refresh_behind(self, site: str, entry: SiteEntry) -> bool:
        """Within the stale window: start one background refresh and serve the entry."""
        if not self._store.is_servable_stale(entry):
            return False
        self._behind.refresh(site)
        return True

    def _fetch(self, site: str, seconds: float, *, force: bool) -> LookupResult:
        with self._network.deadline(seconds) as deadline:
            # Registered for cancel_lookups() (inline: a generator context manager here cost
            # more bytecodes than the registration itself).
            with self._running_lock:
                self._running.add(deadline)
            try:
                return self._fetch_within(site, deadline, force=force)
            finally:
                with self._running_lock:
                    self._running.discard(deadline)

    def _fetch_within(self, site: str, deadline: Deadline, *, force: bool) -> LookupResult:
        lock = (
            UNLOCKED
            if force
            else self._store.fetch_lock(
                site, wait=deadline.remaining() / 2, hold=self.timeouts.total + 1
            )
        )
        with lock:
            entry = self._store.read(site)
            if not force and entry is not None and self._store.is_fresh(entry):
                # Another thread or process has just fetched it.
                if isinstance(entry, FailedEntry):
                    return LookupResult((), entry.to_error(site), cached=True)
                return _entry_result(entry, None, cached=True)
            known = entry if isinstance(entry, SiteEntry) else None
            try:
                posts, fresh_until = self._refetch(site, known, deadline)
            except CommentLuvError as exc:
                return LookupResult((), exc, cached=False)
            return LookupResult(tuple(posts), None, cached=False, fresh_until=fresh_until)

    def _refetch(
        self, site: str, known: SiteEntry | None, deadline: Deadline
    ) -> tuple[list[Post], float]:
        """The site's posts from the network, and until when the cache calls them fresh."""
        # The parsers: only when the network is needed.
        from ._engine.lookup import KnownFeed, fetch_site

        feed = None
        if known is not None:
            feed = KnownFeed(known.feed_url, known.source, known.etag, known.last_modified)
        try:
            fetched = fetch_site(self._network.fetcher, self.limits, site, feed, deadline)
        except CommentLuvError as exc:
            if deadline.cancelled:
                raise LookupCancelled("the lookup was cancelled", url=site) from exc
            if known is None:
                self._store.write_failure(site, exc)
                raise
            # Stale posts beat no posts: keep showing them, and retry after error_ttl.
            logger.warning(
                "refreshing %s failed (%s: %s); serving cached posts", site, exc.kind, exc
            )
            kept = self._store.extend(site, known, self.freshness.error_ttl)
            return kept.posts(), kept.fresh_until
        if logger.isEnabledFor(logging.INFO):  # counted() would run for a line nobody reads
            logger.info(
                "%s: feed %s, %s", site, fetched.feed_url, counted(fetched.requests, "request")
            )
        if fetched.not_modified and known is not None:
            kept = self._store.extend(site, known, self.freshness.posts_ttl)
            return kept.posts(), kept.fresh_until
        written = self._store.write_posts(
            site,
            fetched.feed_url,
            fetched.posts,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )
        return fetched.posts, written.fresh_until

    def __repr__(self) -> str:
        return (
            f"CommentLuv(timeouts={self.timeouts!r}, policy={self.policy!r}, cache={self.cache!r})"
        )


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")


def _entry_result(entry: SiteEntry, limit: int | None, *, cached: bool) -> LookupResult:
    return LookupResult(tuple(entry.posts(limit)), None, cached, entry.fresh_until)


def _post_with_link(result: LookupResult, link: str) -> Post | None:
    return next((post for post in result.posts if link and post.link == link), None)
