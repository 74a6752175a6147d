"""What the client keeps per site in a cache, in ONE versioned format, and the lock that lets
processes sharing a cache share one fetch of a site.

A site's record, under ``commentluv:site:<normalised site URL>``, is the JSON of either::

    {"format": 2, "feed_url": str, "posts": [Post.to_dict(), ...] (newest first),
     "etag": str | None, "last_modified": str | None, "fresh_until": Unix time}
    {"format": 2, "error": {"kind", "message", ...}}     # a remembered failure

A record of another format (or anything malformed) reads as a miss. Bump :data:`FORMAT`
whenever the shape changes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from .cache import AddCache, Cache
from .config import Freshness
from .errors import CommentLuvError, error_from_dict
from .models import Post

__all__ = ["FORMAT", "FailedEntry", "SiteEntry", "SiteStore"]

logger = logging.getLogger("commentluv")

FORMAT = 2
# How often a lookup checks whether another process's fetch of the same site has finished.
_LOCK_POLL = 0.05


@dataclass(frozen=True)
class SiteEntry:
    """A site's feed and posts as cached. ``post_records`` are ``Post.to_dict()`` records,
    newest first: decoding is left to :meth:`posts`, since a lookup usually wants one."""

    feed_url: str
    post_records: tuple[dict[str, Any], ...]
    etag: str | None
    last_modified: str | None
    fresh_until: float

    @classmethod
    def of(
        cls,
        feed_url: str,
        posts: Sequence[Post],
        *,
        etag: str | None,
        last_modified: str | None,
        fresh_until: float,
    ) -> SiteEntry:
        records = tuple(post.to_dict() for post in posts)
        return cls(feed_url, records, etag, last_modified, fresh_until)

    def posts(self, limit: int | None = None) -> list[Post]:
        return [Post.from_dict(record) for record in self.post_records[:limit]]

    def fresh_for(self, seconds: float, now: float) -> SiteEntry:
        return replace(self, fresh_until=now + seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "feed_url": self.feed_url,
            "posts": list(self.post_records),
            "etag": self.etag,
            "last_modified": self.last_modified,
            "fresh_until": self.fresh_until,
        }


@dataclass(frozen=True)
class FailedEntry:
    """A remembered failure: the error's :meth:`~CommentLuvError.to_dict`."""

    error: dict[str, Any]

    def to_error(self, site: str) -> CommentLuvError:
        return error_from_dict(self.error, url=site)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "error": self.error}


Entry = SiteEntry | FailedEntry


def entry_from_json(data: Any) -> Entry | None:
    """The entry a cached value holds, or None for a miss (absent, foreign or malformed)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    if "error" in data:
        error = data["error"]
        return FailedEntry(error) if isinstance(error, dict) else None
    try:
        posts = data["posts"]
        if not (posts and isinstance(posts, list) and all(isinstance(p, dict) for p in posts)):
            return None
        return SiteEntry(
            feed_url=str(data["feed_url"]),
            post_records=tuple(posts),
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            fresh_until=float(data["fresh_until"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


class SiteStore:
    """Reads and writes site entries in ``cache``, with TTLs from ``freshness``."""

    def __init__(self, cache: Cache, freshness: Freshness, clock: Callable[[], float]) -> None:
        self.cache = cache
        self.freshness = freshness
        self.clock = clock
        self._add = cache.add if isinstance(cache, AddCache) else None

    @staticmethod
    def key(site: str) -> str:
        return f"commentluv:site:{site}"

    @staticmethod
    def lock_key(site: str) -> str:
        return f"commentluv:lock:{site}"

    def read(self, site: str) -> Entry | None:
        return entry_from_json(self.cache.get(self.key(site)))

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

    def _write(self, site: str, entry: SiteEntry) -> None:
        self.cache.set(self.key(site), entry.to_json(), self.freshness.entry_ttl)

    @contextmanager
    def fetch_lock(self, site: str, *, wait: float, hold: float) -> Iterator[bool]:
        """Hold the shared backend's short lock on fetching ``site`` (True when taken).

        While another process holds it, wait up to ``wait`` seconds for that process's result,
        then go ahead without the lock (its fetch may have died). ``hold`` bounds how long an
        abandoned lock blocks others. Backends without ``add`` have no lock: always False.
        """
        if self._add is None:
            yield False
            return
        key, token = self.lock_key(site), os.urandom(16).hex()
        give_up = time.monotonic() + wait
        while not self._add(key, token, hold):
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
