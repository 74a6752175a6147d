"""Entry fields → :class:`~commentluv.models.Post` (pure), shared by every feed reader.

Every reader (streaming, the feedparser fallback, JSON Feed, h-feed) turns one entry's
fields into a post with :func:`entry_post`: the title (with the excerpt fallback), the link,
the future-date tolerance. Dates (RFC 3339, RFC 822, feedparser's struct_time) and the
newest-first order live here too.
"""

from __future__ import annotations

import calendar
import re
import time
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from .._shared.text import clean_text
from .._shared.urls import safe_http_url, same_site
from ..errors import NoPosts
from ..models import Post, PostSource

__all__ = [
    "EXCERPT_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "aware",
    "entry_post",
    "from_struct_time",
    "has_words",
    "newest_first",
    "parse_rfc822",
    "parse_rfc3339",
    "usable",
]

TITLE_MAX_LENGTH = 200
# Items read per feed, at most: every reader stops there, as if the feed ended. Real feeds
# list 10 to a few hundred; 2 MiB of tiny items would be 40,000 posts to build.
MAX_ITEMS = 1000
EXCERPT_MAX_LENGTH = 100
_FUTURE_TOLERANCE = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Matched against the stripped value: a leading "\s*" would make a search quadratic.
_RFC3339_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?"
    r"\s*(?:([Zz])|([+-])(\d\d):?(\d\d))?)?$"
)
# Not calendar.month_abbr: that follows the locale, RFC 822 does not.
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# The RFC 822 dates feeds actually use; parse_rfc822 answers None for any other spelling.
_RFC822_RE = re.compile(  # matched against the stripped value, as _RFC3339_RE
    r"(?:[A-Z][a-z]{2},\s*)?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d)"
    r" (?:GMT|UTC|UT|Z|([+-]\d{4}))$"
)
_ASCII_WORD_RE = re.compile(r"[A-Za-z0-9]")


# Fields → Post


def entry_post(
    title: Any,
    hrefs: Iterable[Any],
    published: datetime | None,
    *,
    feed_url: str,
    site_url: str,
    now: datetime,
    base: str | None = None,
    title_markup: bool = False,
    excerpts: Iterable[tuple[Any, bool]] | None = (),
    not_links: Collection[str] = (),
    atom_id: Any = None,
    related: Sequence[Any] = (),
    source: PostSource = "feed",
) -> Post | None:
    """One entry's :class:`Post`, built the same way for every reader; None when there is
    nothing to show as its title.

    - Title: ``title`` cleaned (``title_markup``: it is HTML), else the first of
      ``excerpts`` (text, is-HTML) with words in it. ``excerpts=None`` is a reader that
      cannot see them: a title without words makes no post.
    - Link: the first of ``hrefs`` that is a safe http(s) URL (resolved against ``base``,
      the feed by default) and none of ``not_links``; without one, ``atom_id`` when it is a
      page on the site (WordPress's ``?p=123``). A link that leaves the site gives way to one
      of ``related`` on the site (a link blog's own post).
    - Date: ``published``, unless it is more than a day ahead of ``now`` (a scheduled post
      or a broken clock: its place in time is unknown).
    """
    if excerpts is None:
        title = (
            clean_text(title, TITLE_MAX_LENGTH, markup=title_markup)
            if isinstance(title, str)
            else ""
        )
        if not has_words(title):
            return None
    else:
        title = _title_or_excerpt(title, title_markup, excerpts)
        if not title:
            return None
    link = _first_safe_url(hrefs, base or feed_url, not_links)
    if link is None and atom_id is not None:
        link = _id_permalink(atom_id, site_url, feed_url)
    if related:
        link = _own_post_link(link, related, site_url, feed_url)
    if published is not None and published > now + _FUTURE_TOLERANCE:
        published = None
    return Post(title, link, published, feed_url, site_url, source)


def _title_or_excerpt(title: Any, markup: bool, excerpts: Iterable[tuple[Any, bool]]) -> str:
    """Clean title, else the clean start of the first text with words in it, else the title
    even when it is only punctuation; "" when there is none.

    ``markup`` (and each excerpt's flag) says whether the text is HTML (see ``clean_text``).
    """
    cleaned_title = (
        clean_text(title, TITLE_MAX_LENGTH, markup=markup) if isinstance(title, str) else ""
    )
    if has_words(cleaned_title):
        return cleaned_title
    for text, text_markup in excerpts:
        if isinstance(text, str):
            cleaned = clean_text(text, EXCERPT_MAX_LENGTH, markup=text_markup)
            if has_words(cleaned):
                return cleaned
    return cleaned_title


def has_words(text: str) -> bool:
    """Whether ``text`` holds a letter, a digit or an emoji-like symbol: a title of only
    punctuation ("-", "…", "| |") or of undecodable bytes ("�") says nothing, and the post's
    text stands in for it."""
    if text.isascii():  # the usual case, at C speed: ASCII has no symbol that counts
        return _ASCII_WORD_RE.search(text) is not None
    return any(_is_wordlike(char) for char in text)


def _is_wordlike(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LN" or (category == "So" and char != "\ufffd")


def _first_safe_url(hrefs: Iterable[Any], base: str, not_links: Collection[str]) -> str | None:
    """The first of ``hrefs`` that is (resolved against ``base``) a safe http(s) URL and
    none of ``not_links`` (the feed itself: an empty ``href`` resolves to it)."""
    for href in hrefs:
        if isinstance(href, str):
            url = safe_http_url(href, base=base, keep_fragment=True)
            if url is not None and url not in not_links:
                return url
    return None


def _own_post_link(
    link: str | None, related: Iterable[Any], site_url: str, feed_url: str
) -> str | None:
    """``link`` when it is on the site, else the first of ``related`` that is (Daring
    Fireball's "linked" posts point away; the backlink brings readers to the commenter's own
    post), else ``link``."""
    if link is not None and _on_site(link, site_url, feed_url):
        return link
    for href in related:
        url = safe_http_url(href, keep_fragment=True) if isinstance(href, str) else None
        if url is not None and _on_site(url, site_url, feed_url):
            return url
    return link


def _on_site(url: str, site_url: str, feed_url: str) -> bool:
    host = urlsplit(url).hostname
    return any(same_site(host, urlsplit(other).hostname) for other in (site_url, feed_url))


def _id_permalink(entry_id: Any, site_url: str, feed_url: str) -> str | None:
    """An Atom ``<id>`` that is an http(s) URL on the site (or the feed's host); a tag: or
    urn: id, or a URL elsewhere, is no page of the commenter's."""
    url = safe_http_url(entry_id) if isinstance(entry_id, str) else None
    return url if url is not None and _on_site(url, site_url, feed_url) else None


def usable(posts: Iterable[Post | None], feed_url: str) -> list[Post]:
    """The posts that were made; :class:`NoPosts` when there is none."""
    kept = [post for post in posts if post is not None]
    if not kept:
        raise NoPosts("the feed has no posts", url=feed_url)
    return kept


def newest_first(posts: list[Post]) -> list[Post]:
    """Dated posts newest first (ties keep document order), then undated ones in order."""
    dated = [post for post in posts if post.published is not None]
    undated = [post for post in posts if post.published is None]
    return sorted(dated, key=_published, reverse=True) + undated


def _published(post: Post) -> datetime:
    return post.published or _EPOCH


# Dates


def aware(moment: datetime) -> datetime:
    """``moment``, taken as UTC when it is naive."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def parse_rfc3339(value: str) -> datetime | None:
    """An RFC 3339 / W3C-DTF date (or a bare date) as aware UTC; None when it is not one."""
    match = _RFC3339_RE.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zulu, sign, offset_h, offset_m = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            min(int(second or 0), 59),  # a leap second
            tzinfo=timezone.utc,
        )
        if sign and not zulu:
            offset = timedelta(hours=int(offset_h), minutes=int(offset_m))
            moment -= offset if sign == "+" else -offset
    except (ValueError, OverflowError):
        return None
    return moment


def parse_rfc822(value: str) -> datetime | None:
    """An RFC 822 date in the usual spelling ("Sat, 01 Jun 2024 10:00:00 GMT" or "+0200")
    as aware UTC; None for any other spelling and for a date that does not exist."""
    match = _RFC822_RE.match(value.strip())
    month = _MONTHS.get(match[2]) if match else None
    if match is None or month is None:
        return None
    # zone: "+hhmm" or "-hhmm", None for GMT and its kin.
    day, _, year, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc
        )
        if zone not in (None, "+0000", "-0000"):  # most feeds say +0000
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:]))
            moment -= offset if zone[0] == "+" else -offset
    except (ValueError, OverflowError):  # no such day, or out of range once in UTC (year 1)
        return None
    return moment


def from_struct_time(value: Any) -> datetime | None:
    """A UTC ``time.struct_time`` (as feedparser gives) as aware UTC; None for anything else."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return _EPOCH + timedelta(seconds=calendar.timegm(value))
    except (OverflowError, ValueError):
        return None
