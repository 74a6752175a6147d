"""What the client keeps per site in a cache, in ONE versioned format, how fresh it is, and
the lock that lets processes sharing a cache share one fetch of a site. A client in a refresh
task queue tells its :class:`~commentluv._engine.queue.RefreshQueue` of every write.

A site's record, under ``commentluv:site:<normalised site URL>``, is the JSON of either::

    {"format": 4, "feed_url": str, "source": "feed" | "h-feed", "posts": [{"title", "link",
     "published"}, ...] (newest first), "etag": str | None, "last_modified": str | None,
     "fresh_until": Unix time}
    {"format": 4, "error": {"kind", "message", ...}}     # a remembered failure

A record of another format (or anything malformed) reads as a miss. Bump :data:`FORMAT`
whenever the shape changes. Every field is bounded (titles 200 characters, links and the
feed URL 2,048, validators 256, messages 300, at most ``Limits.max_stored_posts`` posts), so
no site can make its record large.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..cache import AddCache, Cache
from ..config import Freshness
from ..errors import CommentLuvError, error_from_dict
from ..models import POST_SOURCES, Post, PostSource
from .queue import RefreshQueue

__all__ = ["FORMAT", "UNLOCKED", "FailedEntry", "SiteEntry", "SiteStore"]

logger = logging.getLogger("commentluv")

FORMAT = 4
# A longer ETag or Last-Modified is dropped (the next refresh is then unconditional).
MAX_VALIDATOR_LENGTH = 256
# How often a lookup checks whether another process's fetch of the same site has finished.
_LOCK_POLL = 0.05
# Decoded entries kept for values a cache hands back unchanged (the memory cache does).
_MEMO_SIZE = 256
# What a fetch holds when no lock is shared (stateless, so one serves every lookup).
UNLOCKED: AbstractContextManager[bool] = nullcontext(False)


@dataclass(frozen=True)
class SiteEntry:
    """A site's feed and posts as cached. ``post_records`` are ``{"title", "link",
    "published"}`` records, newest first; :meth:`posts` decodes them on demand (a lookup
    usually wants one) and keeps what it decoded. ``source`` is where they were read (for
    an h-feed, ``feed_url`` is the page)."""

    site_url: str
    feed_url: str
    post_records: tuple[Mapping[str, Any], ...]
    etag: str | None
    last_modified: str | None
    fresh_until: float
    source: PostSource = "feed"
    _decoded: dict[int, Post | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def of(
        cls,
        site_url: str,
        feed_url: str,
        posts: Sequence[Post],
        *,
        etag: str | None,
        last_modified: str | None,
        fresh_until: float,
    ) -> SiteEntry:
        records = tuple(
            [  # a list built, then frozen: cheaper than a generator resumed for each post
                {
                    "title": post.title,
                    "link": post.link,
                    "published": post.published.isoformat() if post.published else None,
                }
                for post in posts
            ]
        )
        source: PostSource = posts[0].source if posts else "feed"
        return cls(
            site_url,
            feed_url,
            records,
            _validator(etag),
            _validator(last_modified),
            fresh_until,
            source,
        )

    def posts(self, limit: int | None = None) -> list[Post]:
        """Up to ``limit`` posts, newest first; a malformed record (a foreign writer) is
        skipped, so the list may be empty."""
        posts = []
        for index, record in enumerate(self.post_records[:limit]):
            if index not in self._decoded:
                self._decoded[index] = self._decode(record)
            post = self._decoded[index]
            if post is not None:
                posts.append(post)
        return posts

    def _decode(self, record: Mapping[str, Any]) -> Post | None:
        try:
            title, link, published = record["title"], record.get("link"), record.get("published")
            if not isinstance(title, str) or not isinstance(link, str | None):
                return None
            moment = datetime.fromisoformat(published) if published else None
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return Post(title, link, moment, self.feed_url, self.site_url, self.source)

    def fresh_for(self, seconds: float, now: float) -> SiteEntry:
        return replace(self, fresh_until=now + seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "feed_url": self.feed_url,
            "source": self.source,
            "posts": list(map(dict, self.post_records)),  # copies, made without a Python loop
            "etag": self.etag,
            "last_modified": self.last_modified,
            "fresh_until": self.fresh_until,
        }


def _validator(value: str | None) -> str | None:
    # Sent back in a request header: one printable Latin-1 line, or nothing.
    if value is None or len(value) > MAX_VALIDATOR_LENGTH or not value.isprintable():
        return None
    return value if max(map(ord, value), default=0) <= 0xFF else None


@dataclass(frozen=True)
class FailedEntry:
    """A remembered failure: the error's :meth:`~CommentLuvError.to_dict`."""

    error: dict[str, Any]

    def to_error(self, site: str) -> CommentLuvError:
        return error_from_dict(self.error, url=site)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "error": self.error}


Entry = SiteEntry | FailedEntry


def entry_from_json(data: Any, site: str) -> Entry | None:
    """The entry a cached value holds for ``site``, or None for a miss (absent, foreign or
    malformed). Post records are checked when decoded, not here: a hit decodes one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    if "error" in data:
        error = data["error"]
        return FailedEntry(error) if isinstance(error, dict) else None
    posts, feed_url, fresh_until = data.get("posts"), data.get("feed_url"), data.get("fresh_until")
    if not (posts and isinstance(posts, list) and isinstance(feed_url, str)):
        return None
    if not isinstance(fresh_until, int | float):
        return None
    etag, last_modified, source = data.get("etag"), data.get("last_modified"), data.get("source")
    if source not in POST_SOURCES:
        return None
    return SiteEntry(
        site_url=site,
        feed_url=feed_url,
        post_records=tuple(record for record in posts if isinstance(record, dict)),
        etag=etag if isinstance(etag, str) else None,
        last_modified=last_modified if isinstance(last_modified, str) else None,
        fresh_until=float(fresh_until),
        source=source,
    )


class SiteStore:
    """Reads and writes site entries in ``cache``, with TTLs from ``freshness``."""

    def __init__(
        self,
        cache: Cache,
        freshness: Freshness,
        clock: Callable[[], float],
        *,
        queue: RefreshQueue | None = None,
    ) -> None:
        self.cache = cache
        self.freshness = freshness
        self.clock = clock
        # Told of every write: set when the client joins a refresh task queue.
        self.queue = queue
        self._add = cache.add if isinstance(cache, AddCache) else None
        # key → (the value the cache gave, its entry): skips decoding an unchanged value.
        self._memo: dict[str, tuple[object, Entry]] = {}

    @staticmethod
    def key(site: str) -> str:
        return f"commentluv:site:{site}"

    @staticmethod
    def lock_key(site: str) -> str:
        return f"commentluv:lock:{site}"

    def read(self, site: str) -> Entry | None:
        key = self.key(site)
        value = self.cache.get(key)
        if value is None:  # a miss: every cold lookup reads one, twice
            return None
        memo = self._memo.get(key)
        if memo is not None and memo[0] is value:
            return memo[1]
        entry = entry_from_json(value, site)
        if isinstance(entry, SiteEntry) and not entry.posts(1):
            entry = None  # not one post decodes: a foreign writer's record
        if entry is not None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = (value, entry)
        return entry

    def is_fresh(self, entry: Entry | None) -> bool:
        """A failure counts as fresh for as long as it is remembered."""
        if entry is None:
            return False
        return isinstance(entry, FailedEntry) or self.clock() < entry.fresh_until

    def is_servable_stale(self, entry: SiteEntry) -> bool:
        """Past its freshness but within the stale window: serve it, refresh behind."""
        return self.clock() < entry.fresh_until + self.freshness.stale_ttl

    def write_posts(
        self,
        site: str,
        feed_url: str,
        posts: Sequence[Post],
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> SiteEntry:
        entry = SiteEntry.of(
            site,
            feed_url,
            posts,
            etag=etag,
            last_modified=last_modified,
            fresh_until=self.clock() + self.freshness.posts_ttl,
        )
        self._write(site, entry)
        return entry

    def extend(self, site: str, entry: SiteEntry, seconds: float) -> SiteEntry:
        """Keep ``entry`` and call it fresh for ``seconds`` more (a 304, a failed refresh)."""
        entry = entry.fresh_for(seconds, self.clock())
        self._write(site, entry)
        return entry

    def write_failure(self, site: str, error: CommentLuvError) -> None:
        self.cache.set(
            self.key(site), FailedEntry(error.to_dict()).to_json(), self.freshness.error_ttl
        )
        self._written(site, None)

    def _write(self, site: str, entry: SiteEntry) -> None:
        self.cache.set(self.key(site), entry.to_json(), self.freshness.entry_ttl)
        self._written(site, entry.fresh_until)

    def _written(self, site: str, fresh_until: float | None) -> None:
        if self.queue is not None:
            self.queue.written(site, fresh_until)

    def fetch_lock(self, site: str, *, wait: float, hold: float) -> AbstractContextManager[bool]:
        """Hold the shared backend's short lock on fetching ``site`` (True when taken).

        While another process holds it, wait up to ``wait`` seconds for that process's result,
        then go ahead without the lock (its fetch may have died). ``hold`` bounds how long an
        abandoned lock blocks others. Backends without ``add`` have no lock: always False.
        """
        if self._add is None:
            return UNLOCKED  # every lookup without a shared cache: no generator to run
        return self._locked(self._add, site, wait=wait, hold=hold)

    @contextmanager
    def _locked(
        self, add: Callable[[str, str, float], bool], site: str, *, wait: float, hold: float
    ) -> Iterator[bool]:
        key, token = self.lock_key(site), os.urandom(16).hex()
        give_up = time.monotonic() + wait
        while not add(key, token, hold):
            if self.is_fresh(self.read(site)) or time.monotonic() >= give_up:
                yield False
                return
            time.sleep(_LOCK_POLL)
        try:
            yield True
        finally:
            # Only our own lock: if ours expired and another process took the key, keep it.
            if self.cache.get(key) == token:
                self.cache.delete(key)
