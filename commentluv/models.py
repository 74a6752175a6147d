"""Result types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import CommentLuvError

__all__ = ["LookupResult", "Post"]


@dataclass(frozen=True, slots=True)
class Post:
    """One blog post, as shown under a comment.

    ``title`` is clean plain text (never markup); ``link`` is an absolute http(s) URL or None
    when the feed gave no safe link; ``published`` is timezone-aware or None when undated.
    """

    title: str
    link: str | None
    published: datetime | None
    feed_url: str
    site_url: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``published`` as ISO 8601 or None)."""
        return {
            "title": self.title,
            "link": self.link,
            "published": self.published.isoformat() if self.published else None,
            "feed_url": self.feed_url,
            "site_url": self.site_url,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Post:
        """Inverse of :meth:`to_dict`."""
        published = data.get("published")
        return cls(
            title=data["title"],
            link=data.get("link"),
            published=datetime.fromisoformat(published) if published else None,
            feed_url=data["feed_url"],
            site_url=data["site_url"],
        )


@dataclass(frozen=True)
class LookupResult:
    """The answer of one lookup: its posts (newest first), or the error; ``cached`` says
    whether it came from the cache (a remembered failure too) rather than the network."""

    posts: tuple[Post, ...]
    error: CommentLuvError | None
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None
