"""asyncio: :class:`AsyncCommentLuv`, the client's methods as coroutines.

    luv = AsyncCommentLuv(timeout=2.5)        # or AsyncCommentLuv(CommentLuv(...))
    post = await luv.latest("jadendaniels.example")

The lookups are the synchronous client's, run in this client's own bounded thread pool, so the
address policy (every resolved address checked, the connection pinned to it) and the total
deadline (a watchdog that shuts the lookup's sockets) are the very same code. A native async
transport would have to rebuild both on another HTTP stack; the pool costs a thread per
lookup in flight and nothing on a cache hit.

Cache hits: with the in-memory (or null) cache the answer is read on the event loop itself, no
thread or executor involved. Other backends may block (an SQLite writer holds the file for up
to ``busy_timeout``; Redis and Django caches are network round trips), so their reads run in
the pool too.

Cancelling an awaiting task returns at once. A lookup still queued for a worker never starts;
one already running finishes (or is cut off) by its deadline, whose watchdog shuts its
sockets, so no socket outlives the deadline. The deadline counts from the call, time spent
waiting for a worker included.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .cache import MemoryCache, NullCache
from .client import CommentLuv
from .errors import CommentLuvError, FetchTimeout
from .formatting import Format, format_backlink, validate_style
from .models import ChoiceCheck, LookupResult, Post

__all__ = ["AsyncCommentLuv"]

logger = logging.getLogger("commentluv")

_R = TypeVar("_R")


class AsyncCommentLuv:
    """An asyncio client with the names and semantics of :class:`~commentluv.CommentLuv`.

    Pass a configured ``client`` to share its cache and options, or its keyword ``options``
    to build one (closed by :meth:`aclose`; a client passed in is not). ``max_concurrency``
    bounds the lookups that wait on the network at once (the pool's threads).
    """

    def __init__(
        self, client: CommentLuv | None = None, *, max_concurrency: int = 32, **options: Any
    ) -> None:
        if client is not None and options:
            raise TypeError("pass options to the CommentLuv given as client=, not beside it")
        if not (isinstance(max_concurrency, int) and max_concurrency >= 1):
            raise ValueError("max_concurrency must be an integer of at least 1")
        self.client = client if client is not None else CommentLuv(**options)
        self._owns_client = client is None
        self._pool = ThreadPoolExecutor(max_concurrency, thread_name_prefix="commentluv-async")
        self._inline = isinstance(self.client.cache, MemoryCache | NullCache)

    async def aclose(self) -> None:
        """Wait for running lookups (each bounded by its deadline), then close."""
        await asyncio.get_running_loop().run_in_executor(None, self._close)

    def _close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._owns_client:
            self.client.close()

    async def __aenter__(self) -> AsyncCommentLuv:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def latest(self, url: str, *, timeout: float | None = None) -> Post:
        """The newest post of the site at ``url``. Raises a :class:`CommentLuvError`."""
        return (await self.lookup(url, 1, timeout=timeout)).posts_or_raise()[0]

    async def recent(
        self, url: str, limit: int = 10, *, timeout: float | None = None
    ) -> list[Post]:
        """Up to ``limit`` posts, newest first. Raises a :class:`CommentLuvError`."""
        return (await self.lookup(url, limit, timeout=timeout)).posts_or_raise()

    async def lookup(
        self, url: str, limit: int = 1, *, refresh: bool = False, timeout: float | None = None
    ) -> LookupResult:
        """As :meth:`CommentLuv.lookup`: never raises a lookup error."""
        if not refresh:
            hit = await self._cache(self.client.lookup_if_cached, url, limit)
            if hit is not None:
                return hit
        return await self._network(
            lambda remaining: self.client.lookup(url, limit, refresh=refresh, timeout=remaining),
            timeout,
            lambda: LookupResult((), _late(url), cached=False),
        )

    async def cached_latest(self, url: str) -> Post | None:
        """The cached newest post, fresh or stale, or None; never touches the network."""
        return await self._cache(self.client.cached_latest, url)

    async def refresh(self, url: str, *, timeout: float | None = None) -> list[Post]:
        """Fetch the site's posts now and cache them. Raises a :class:`CommentLuvError`."""
        limit = self.client.limits.max_stored_posts
        return (await self.lookup(url, limit, refresh=True, timeout=timeout)).posts_or_raise()

    async def backlink(
        self,
        name: str,
        url: str,
        *,
        style: str = "card",
        fmt: Format = "text",
        dofollow: bool = False,
        timeout: float | None = None,
    ) -> str | None:
        """The backlink line, or None (lookup failures are logged, never raised)."""
        validate_style(style, fmt)
        result = await self.lookup(url, timeout=timeout)
        if result.error is not None:
            logger.info("no backlink for %r: %s: %s", url[:200], result.error.kind, result.error)
            return None
        return format_backlink(result.posts[0], name, style=style, fmt=fmt, dofollow=dofollow)

    async def verify_choice(
        self,
        site_url: str,
        chosen_link: str,
        token: str | None = None,
        *,
        timeout: float | None = None,
    ) -> ChoiceCheck:
        """As :meth:`CommentLuv.verify_choice`. A signed choice of a cached post is checked
        on the loop (the token check is pure); anything that may fetch runs in the pool."""
        check = functools.partial(self.client.verify_choice, site_url, chosen_link, token)
        if token and self._inline:
            hit = self.client.lookup_if_cached(site_url, self.client.limits.max_stored_posts)
            if hit is not None and any(post.link == chosen_link for post in hit.posts):
                return check(timeout=timeout)
        return await self._network(
            lambda remaining: check(timeout=remaining),
            timeout,
            lambda: ChoiceCheck(None, "lookup_failed", _late(site_url)),
        )

    async def lookup_many(
        self, urls: Iterable[str], *, timeout: float | None = None
    ) -> dict[str, Post | CommentLuvError]:
        """Each input URL → its newest post, or the error, looked up concurrently."""
        unique = list(dict.fromkeys(urls))
        results = await asyncio.gather(*(self.lookup(url, timeout=timeout) for url in unique))
        pairs = zip(unique, results, strict=True)
        return {url: result.error or result.posts[0] for url, result in pairs}

    async def warm(
        self, urls: Iterable[str], *, timeout: float | None = None
    ) -> dict[str, LookupResult]:
        """Refresh many sites concurrently: input URL → result."""
        unique = list(dict.fromkeys(urls))
        limit = self.client.limits.max_stored_posts
        results = await asyncio.gather(
            *(self.lookup(url, limit, refresh=True, timeout=timeout) for url in unique)
        )
        return dict(zip(unique, results, strict=True))

    async def _cache(self, read: Callable[..., _R], *args: Any) -> _R:
        if self._inline:
            return read(*args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, read, *args)

    async def _network(
        self,
        work: Callable[[float], _R],
        timeout: float | None,
        late: Callable[[], _R],
    ) -> _R:
        """``work(seconds left)`` in the pool, within the deadline counted from now; ``late``
        answers when the deadline passed before a worker was free."""
        total = timeout if timeout is not None else self.client.timeout
        started = time.monotonic()

        def run() -> _R:
            remaining = total - (time.monotonic() - started)
            if remaining <= 0:
                return late()
            return work(remaining)

        # Cancelling the await cancels the pool's future: a queued lookup never starts.
        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    def __repr__(self) -> str:
        return f"AsyncCommentLuv({self.client!r})"


def _late(url: str) -> FetchTimeout:
    return FetchTimeout("the deadline passed while the lookup waited for a worker", url=url)
