"""Feeds (pure): the bytes of an RSS, Atom, RDF or JSON Feed document → its posts.

The room's entry points are :func:`parse_posts` (a whole body → every usable post, newest
first) and :class:`FeedReader` (the streaming lxml reader, fed chunk by chunk as a body
arrives, and usable as the HTTP layer's ``stop`` callback; it stops early after
``MIN_WINDOW`` dated, newest-first items). One job per module: :mod:`.decode` (every
encoding decision of the library, pages included), :mod:`.scrub` (prolog, DTD and bad
characters), :mod:`.post` (fields → Post, dates, order), :mod:`.streaming` (lxml),
:mod:`.feedparser` (the fallback, and the only importer of feedparser) and :mod:`.jsonfeed`.

Nothing here touches the network. Importing the package imports neither lxml nor feedparser:
``FeedReader`` and ``MIN_WINDOW`` load :mod:`.streaming` (and lxml) on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .parse import parse_posts

if TYPE_CHECKING:
    from .streaming import MIN_WINDOW, FeedReader

__all__ = ["MIN_WINDOW", "FeedReader", "parse_posts"]


def __getattr__(name: str) -> Any:
    if name in ("FeedReader", "MIN_WINDOW"):
        from . import streaming  # imports lxml: on the first feed, not at start-up

        return getattr(streaming, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
