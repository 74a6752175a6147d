"""JSON Feed 1.0 and 1.1 (pure), read with :mod:`json`: feedparser 6.0 does not support it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import FeedError
from ..models import Post
from .post import MAX_ITEMS, entry_post, parse_rfc3339, usable
from .scrub import remove_invalid_chars

__all__ = ["json_feed_posts"]

_JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def json_feed_posts(text: str, *, feed_url: str, site_url: str, now: datetime) -> list[Post]:
    """The posts of a decoded JSON Feed document, in document order."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"malformed JSON: {exc}", url=feed_url) from exc
    if not isinstance(document, dict) or not _string(document, "version").startswith(
        _JSON_FEED_VERSIONS
    ):
        raise FeedError("JSON document that is not a JSON Feed", url=feed_url)
    items = document.get("items")
    posts = [
        entry_post(
            # Plain text by the spec, but publishers often escape titles twice ("Add Task
            # &amp; Sub Tasks", "&#8216;Jokes&#8217;"): character references are decoded
            # once, as in HTML (tags go either way).
            _string(item, "title"),
            [_string(item, "url"), _string(item, "external_url")],
            _item_date(item),
            feed_url=feed_url,
            site_url=site_url,
            now=now,
            title_markup=True,
            excerpts=_item_excerpts(item),
        )
        for item in (items[:MAX_ITEMS] if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return usable(posts, feed_url)


def _item_excerpts(item: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """What an untitled note shows instead: its text (text, is-HTML)."""
    return [
        (_string(item, "content_text"), False),
        (_string(item, "content_html"), True),
        (_string(item, "summary"), False),
    ]


def _item_date(item: Mapping[str, Any]) -> datetime | None:
    for key in ("date_published", "date_modified"):
        moment = parse_rfc3339(_string(item, key))
        if moment is not None:
            return moment
    return None


def _string(mapping: Mapping[str, Any], key: str) -> str:
    """A string member ("" when missing or not a string), without control characters or lone
    surrogates (which json.loads lets through and UTF-8 cannot encode)."""
    value = mapping.get(key)
    return remove_invalid_chars(value) if isinstance(value, str) else ""
