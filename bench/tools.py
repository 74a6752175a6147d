"""The tools compared: each maps a site URL to (feed URL, newest post title), or raises.

Peers are used as their documentation shows, pointed only at the loopback corpus:
feedfinder2 (``find_feeds``, first result) and feedsearch-crawler (``search``, best-scored
result, with its politeness delay set to 0 so that it is not slower by design), each then
fetching the feed with requests and taking feedparser's newest entry.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from typing import Any

import requests

Lookup = Callable[[str], tuple[str, str]]


def newest_title(feed_url: str) -> str:
    """What a peer user does after discovery: fetch, feedparser, newest entry's title."""
    import feedparser

    parsed = feedparser.parse(requests.get(feed_url, timeout=30).content)
    entries = parsed.entries
    if not entries:
        raise LookupError("no entries")
    dated = [entry for entry in entries if _date(entry)]
    return str((max(dated, key=_date) if dated else entries[0]).get("title", ""))


def _date(entry: Any) -> Any:
    return entry.get("published_parsed") or entry.get("updated_parsed")


def feedfinder2_lookup(url: str) -> tuple[str, str]:
    import feedfinder2

    feeds = feedfinder2.find_feeds(url)
    if not feeds:
        raise LookupError("no feed")
    return feeds[0], newest_title(feeds[0])


def feedsearch_lookup(url: str) -> tuple[str, str]:
    from feedsearch_crawler import search_async

    async def run() -> Any:
        return await search_async(url, delay=0, total_timeout=20, request_timeout=10, max_retries=0)

    feeds = asyncio.run(run())
    if not feeds:
        raise LookupError("no feed")
    feed_url = str(feeds[0].url)
    return feed_url, newest_title(feed_url)


def commentluv_lookup_factory() -> Lookup:
    """A cold lookup: a new client (empty cache) per site, as for a first-time commenter."""
    from commentluv import CommentLuv

    def lookup(url: str) -> tuple[str, str]:
        with CommentLuv(allow_private_hosts=True) as luv:
            post = luv.latest(url)
        return post.feed_url, post.title

    return lookup


def tools() -> dict[str, Lookup]:
    # feedfinder2 lets bs4 guess a parser, and bs4 says so on every page.
    warnings.filterwarnings("ignore", message="No parser was explicitly specified")
    logging.getLogger("feedsearch_crawler").setLevel(logging.CRITICAL)
    logging.getLogger().setLevel(logging.CRITICAL)  # feedfinder2 warns through the root logger
    return {
        "commentluv": commentluv_lookup_factory(),
        "feedfinder2+feedparser": feedfinder2_lookup,
        "feedsearch-crawler+feedparser": feedsearch_lookup,
    }
