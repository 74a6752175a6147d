"""Result types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from .errors import CommentLuvError

__all__ = ["ChoiceCheck", "ChoiceReason", "LookupResult", "Post", "PostSource"]

# Where a post was read: a feed (RSS, Atom, RDF, JSON Feed), or a page's h-entry items
# (IndieWeb microformats2) when the site has no feed; then ``feed_url`` is that page.
PostSource = Literal["feed", "h-feed"]
POST_SOURCES: tuple[PostSource, ...] = ("feed", "h-feed")


@dataclass(frozen=True, slots=True)
class Post:
    """One blog post, as shown under a comment.

    ``title`` is clean plain text (never markup); ``link`` is an absolute http(s) URL or None
    when the feed gave no safe link; ``published`` is timezone-aware or None when undated;
    ``source`` says whether it came from a feed or from the h-entry items of the page at
    ``feed_url``.
    """

    title: str
    link: str | None
    published: datetime | None
    feed_url: str
    site_url: str
    source: PostSource = "feed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``published`` as ISO 8601 or None)."""
        return {
            "title": self.title,
            "link": self.link,
            "published": self.published.isoformat() if self.published else None,
            "feed_url": self.feed_url,
            "site_url": self.site_url,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Post:
        """Inverse of :meth:`to_dict`."""
        published = data.get("published")
        source = data.get("source")
        return cls(
            title=data["title"],
            link=data.get("link"),
            published=datetime.fromisoformat(published) if published else None,
            feed_url=data["feed_url"],
            site_url=data["site_url"],
            source=source if source in POST_SOURCES else "feed",
        )


def latest_as_of(posts: Iterable[Post], when: datetime | None) -> Post | None:
    """The newest of ``posts`` published at or before ``when`` (a comment's date, say), or
    None: undated posts never qualify, nor does any post for no ``when``. A naive ``when``
    is taken as UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    dated = [post for post in posts if post.published is not None and post.published <= when]
    return max(dated, key=lambda post: post.published or when) if dated else None


@dataclass(frozen=True)
class LookupResult:
    """The answer of one lookup: its posts (newest first), or the error; ``cached`` says
    whether it came from the cache (a remembered failure too) rather than the network;
    ``fresh_until`` is the Unix time until which the cache calls the posts fresh (None for
    an error)."""

    posts: tuple[Post, ...]
    error: CommentLuvError | None
    cached: bool = False
    fresh_until: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def posts_or_raise(self) -> list[Post]:
        """The posts; raises the error instead when there is one."""
        if self.error is not None:
            raise self.error
        return list(self.posts)


# Why a chosen post was accepted or not (see CommentLuv.verify_choice).
ChoiceReason = Literal[
    "ok",  # accepted: the post is the feed's own
    "forged",  # the token is not one this library makes (garbage, wrong shape or version)
    "tampered",  # shaped like a token, but its signature does not match (altered, other key)
    "expired",  # a genuine token past its expiry
    "other_site",  # a genuine token issued for another site than the commenter's URL
    "not_offered",  # a genuine token for this site that did not offer the chosen link
    "not_recent",  # the link is not among the site's recent posts (or no longer is)
    "lookup_failed",  # the site's posts could not be read (error says why)
]


@dataclass(frozen=True)
class ChoiceCheck:
    """The verdict on a commenter's chosen post: ``post`` (the feed's own, never the form's
    title) only when ``reason`` is ``"ok"``; ``error`` when the lookup failed."""

    post: Post | None
    reason: ChoiceReason
    error: CommentLuvError | None = None

    @property
    def ok(self) -> bool:
        return self.post is not None
