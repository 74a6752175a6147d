"""The backfill's data: a comment in, a result out, the options, progress and summary of a run.

All frozen. A result's :meth:`~BackfillResult.to_record` is the flat record the output files
hold (JSON Lines, CSV) and the state database keeps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

from ..formatting import validate_style
from ..models import Post

__all__ = [
    "MAX_PER_HOST",
    "RECORD_FIELDS",
    "AsOf",
    "BackfillOptions",
    "BackfillResult",
    "Chosen",
    "Comment",
    "Fallback",
    "Outcome",
    "Phase",
    "Progress",
    "Summary",
]

Outcome = Literal["ok", "no_post_at_date", "error", "no_url", "unapproved", "not_a_comment"]
"""``ok``: a backlink; ``no_post_at_date``: the feed holds no post from before the comment;
``error``: the lookup failed (``error`` says how); the rest were not looked up: ``no_url``,
``unapproved`` (pending, spam, trash) and ``not_a_comment`` (pingbacks, trackbacks)."""

Chosen = Literal["historical", "as_of", "latest"]
"""``historical``: the old plugin's own record (``cl_data``); ``as_of``: the newest post
published at or before the comment; ``latest``: the site's latest post today."""

AsOf = Literal["now", "comment-date"]
Fallback = Literal["none", "latest"]
Phase = Literal["reading", "looking_up", "done"]

# Politeness toward a commenter's server: never more lookups at once on one host.
MAX_PER_HOST = 2

RECORD_FIELDS = (
    "comment_id",
    "author",
    "url",
    "site",
    "outcome",
    "chosen",
    "title",
    "link",
    "published",
    "feed_url",
    "backlink",
    "backlink_html",
    "error",
    "message",
    "cached",
    "on_post",
)
# The record fields that are result fields as they are (the others make up the post).
_PLAIN_FIELDS = tuple(
    name for name in RECORD_FIELDS if name not in ("title", "link", "published", "feed_url")
)


@dataclass(frozen=True, slots=True)
class Comment:
    """One imported comment. ``date`` is timezone-aware (UTC) or None when unknown;
    ``historical`` is the backlink the original plugin recorded (already cleaned), if any;
    ``comment_type`` is WordPress's (``""`` for a comment, ``pingback``, ``trackback``);
    ``on_post`` names the blog post the comment was left on, as the export does (WXR: the
    post id; Blogger: the post's entry id; Movable Type: the entry's basename, else its
    title), empty when the input does not say."""

    id: str
    author: str
    url: str
    date: datetime | None = None
    approved: bool = True
    comment_type: str = ""
    historical: Post | None = None
    on_post: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the inverse of :meth:`from_dict`)."""
        return {
            "id": self.id,
            "author": self.author,
            "url": self.url,
            "date": self.date.isoformat() if self.date else None,
            "approved": self.approved,
            "comment_type": self.comment_type,
            "historical": self.historical.to_dict() if self.historical else None,
            "on_post": self.on_post,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comment:
        return cls(
            id=data["id"],
            author=data["author"],
            url=data["url"],
            date=datetime.fromisoformat(data["date"]) if data["date"] else None,
            approved=data["approved"],
            comment_type=data["comment_type"],
            historical=Post.from_dict(data["historical"]) if data["historical"] else None,
            on_post=data.get("on_post", ""),  # absent from an older version's state file
        )


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """The backlink of one comment, or why there is none.

    ``index`` is the comment's position in the input (from 0); ``site`` the normalised site
    URL (None when the comment has no usable URL); ``backlink`` and
    ``backlink_html`` the formatted line (HTML links carry ``rel="nofollow ugc"``);
    ``error``/``message`` the error kind and text when ``outcome`` is ``error``; ``cached``
    whether the site's answer came from the cache; ``on_post`` is the comment's (see
    :class:`Comment`).
    """

    index: int
    comment_id: str
    author: str
    url: str
    site: str | None
    outcome: Outcome
    chosen: Chosen | None = None
    post: Post | None = None
    backlink: str | None = None
    backlink_html: str | None = None
    error: str | None = None
    message: str | None = None
    cached: bool = False
    on_post: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_record(self) -> dict[str, Any]:
        """The flat output record, fields in :data:`RECORD_FIELDS` order."""
        post = self.post
        return {
            "comment_id": self.comment_id,
            "author": self.author,
            "url": self.url,
            "site": self.site,
            "outcome": self.outcome,
            "chosen": self.chosen,
            "title": post.title if post else None,
            "link": post.link if post else None,
            "published": post.published.isoformat() if post and post.published else None,
            "feed_url": (post.feed_url or None) if post else None,
            "backlink": self.backlink,
            "backlink_html": self.backlink_html,
            "error": self.error,
            "message": self.message,
            "cached": self.cached,
            "on_post": self.on_post,
        }

    @classmethod
    def from_record(cls, index: int, record: Mapping[str, Any]) -> BackfillResult:
        """Inverse of :meth:`to_record`."""
        post = None
        if record["title"] is not None:
            post = Post.from_dict(
                {**record, "feed_url": record["feed_url"] or "", "site_url": record["site"] or ""}
            )
        # A field this version added may be absent from an older version's state file.
        fields = {name: record[name] for name in _PLAIN_FIELDS if name in record}
        return cls(index=index, post=post, **fields)


@dataclass(frozen=True)
class BackfillOptions:
    """How a backfill chooses and fetches. Validated on creation (ValueError).

    ``as_of="comment-date"`` picks the newest post published at or before each comment
    (``fallback="latest"`` takes the latest when there is none); ``jobs`` lookups run at
    once overall, at most ``per_host`` (1 or 2) on one host, starting at least ``delay``
    seconds apart on that host; ``style`` is a :func:`~commentluv.format_backlink` style;
    ``include_unapproved`` also looks up pending, spam and trashed comments; ``refresh``
    looks every site up again, whatever the cache holds (remembered failures too).
    """

    as_of: AsOf = "now"
    fallback: Fallback = "none"
    jobs: int = 8
    per_host: int = MAX_PER_HOST
    delay: float = 0.0
    style: str = "card"
    include_unapproved: bool = False
    refresh: bool = False

    def __post_init__(self) -> None:
        if self.as_of not in get_args(AsOf):
            raise ValueError(f"as_of must be 'now' or 'comment-date', not {self.as_of!r}")
        if self.fallback not in get_args(Fallback):
            raise ValueError(f"fallback must be 'none' or 'latest', not {self.fallback!r}")
        if not 1 <= self.jobs <= 256:
            raise ValueError(f"jobs must be from 1 to 256, not {self.jobs}")
        if not 1 <= self.per_host <= MAX_PER_HOST:
            raise ValueError(f"per_host must be from 1 to {MAX_PER_HOST}, not {self.per_host}")
        if not (math.isfinite(self.delay) and self.delay >= 0):
            raise ValueError(f"delay must be 0 or more seconds, not {self.delay}")
        validate_style(self.style, "html")

    def result_settings(self) -> dict[str, Any]:
        """The options that change results (a resumed run must use the same)."""
        return {
            "as_of": self.as_of,
            "fallback": self.fallback,
            "style": self.style,
            "include_unapproved": self.include_unapproved,
        }


@dataclass(frozen=True)
class Progress:
    """Where a run is: reading the input (``comments`` read so far), or looking sites up."""

    phase: Phase
    comments: int
    sites_done: int
    sites_total: int
    elapsed: float


def _frozen_counts() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Summary:
    """A run in numbers. Counts cover every comment, those finished by an earlier run that
    this one resumed too; ``sites_looked_up`` (of which ``sites_cached`` came from the
    cache) are this run's, ``sites_resumed`` the earlier run's."""

    comments: int = 0
    sites: int = 0
    sites_looked_up: int = 0
    sites_cached: int = 0
    sites_resumed: int = 0
    seconds: float = 0.0
    outcomes: Mapping[str, int] = field(default_factory=_frozen_counts)
    errors: Mapping[str, int] = field(default_factory=_frozen_counts)
    chosen: Mapping[str, int] = field(default_factory=_frozen_counts)

    @property
    def sites_per_second(self) -> float:
        """Sites looked up by this run per second of its wall time."""
        return self.sites_looked_up / self.seconds if self.seconds > 0 else 0.0
