"""Feed documents (pure): the bytes of an RSS, Atom, RDF or JSON Feed document → posts.

How a body is read (each step is its own module of this package):

* Plain RSS/Atom/RDF in UTF-8 goes through the streaming lxml reader (:mod:`.streaming`),
  which gives the same posts as feedparser and gives up on whatever it cannot promise that
  for.
* Anything else is decoded here, not by feedparser (:mod:`.decode`): a BOM wins, then
  BOM-less UTF-16/32 and EBCDIC signatures, then the HTTP ``charset``, the XML declaration,
  UTF-8 and windows-1252. The scrubbing (:mod:`.scrub`) then sees exactly the characters the
  parser will see, which a scan of the raw bytes cannot promise (UTF-7, ISO-2022-JP and HZ
  can all spell ``<!ENTITY`` without those bytes); feedparser gets UTF-8 labelled as UTF-8
  (:mod:`.feedparser`).
* JSON Feed 1.0/1.1 is read with :mod:`json` (:mod:`.jsonfeed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from ..errors import FeedError, FetchTimeout
from ..models import Post
from .decode import decode_feed, http_charset
from .jsonfeed import json_feed_posts
from .post import MAX_ITEMS, aware, newest_first
from .scrub import cut_feed, drop_long_tags, scrub_xml

__all__ = ["FALLBACK_SECONDS_PER_CHAR", "parse_posts"]

# What the feedparser fallback may cost per character, at worst: about 10 µs was measured on
# 512 KiB of nested unclosed tags on a 2-core x86 machine (the slowest input found once long
# tags are dropped); twice that, for margin.
FALLBACK_SECONDS_PER_CHAR = 20e-6


def parse_posts(
    body: bytes,
    *,
    feed_url: str,
    site_url: str,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
    budget: float | None = None,
) -> list[Post]:
    """Every usable post of a feed document (at most ``limit``), newest first.

    ``headers`` are the response headers (the ``charset`` of ``Content-Type`` is honoured);
    relative links resolve against ``feed_url``. Dates more than a day after ``now`` (default:
    the current time) count as undated. Raises :class:`FeedError` when the body is not a feed
    or is broken beyond recovery, and :class:`NoPosts` when it holds no usable entry.

    Plain RSS/Atom documents go through the streaming reader, which gives the same posts as
    feedparser; whatever it does not understand goes through feedparser. With a ``limit`` it
    stops after the first ``max(limit, 10)`` items when they are all dated and newest first
    (a feed in that order is taken to stay in it); any other feed is read whole, up to its
    1,000th item. ``budget`` (seconds) bounds the feedparser fallback, whose cost grows with
    the document: it reads only as many whole items as the budget allows at its worst
    measured speed, and raises :class:`FetchTimeout` when not even one fits.
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    if not body.strip():
        raise FeedError("the feed is empty", url=feed_url)
    headers = headers or {}
    moment = aware(now or datetime.now(timezone.utc))
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        from .streaming import FeedReader  # imports lxml: only when parsing (CLI start-up)

        reader = FeedReader(
            feed_url=feed_url, site_url=site_url, headers=headers, now=moment, limit=limit
        )
        fast = reader.read(body)
        if fast is not None:
            return fast
    text = decode_feed(body, http_charset(headers))
    if text.lstrip().startswith("{"):
        posts = json_feed_posts(text, feed_url=feed_url, site_url=site_url, now=moment)
    else:
        from .feedparser import xml_feed_posts  # imports feedparser: slow, only when needed

        document = drop_long_tags(scrub_xml(text))
        allowed = len(document) if budget is None else int(budget / FALLBACK_SECONDS_PER_CHAR)
        cut = cut_feed(document, max_items=MAX_ITEMS, max_chars=allowed)
        if cut is None:
            raise FetchTimeout("too little of the deadline is left to parse the feed", url=feed_url)
        posts = xml_feed_posts(cut, headers, feed_url=feed_url, site_url=site_url, now=moment)
    return newest_first(posts)[:limit]
