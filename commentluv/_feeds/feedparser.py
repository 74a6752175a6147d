"""The fallback through feedparser (pure): scrubbed XML (RSS, Atom, RDF) → posts.

The only module of the library that imports :mod:`feedparser`, which is slow to import: the
others import this one inside the function that needs it, so the CLI's ``--help`` stays fast.
feedparser gets a scrubbed UTF-8 document (see :mod:`.scrub`); links are resolved and markup
is stripped here, so feedparser's own passes for those are skipped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import feedparser
from feedparser import datetimes as feedparser_datetimes

from .._shared.urls import safe_http_url
from ..errors import FeedError
from ..models import Post
from .dates import parse_other_spellings, plausible
from .post import entry_post, from_struct_time, usable
from .scrub import root_start

__all__ = ["parse_date_fallback", "xml_feed_posts"]

_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_PAGE_LINK_TYPES = ("text/html", "application/xhtml+xml", "")
# The root's xml:base: an empty href resolves to it (WordPress's wp-atom.php), and is no link.
_XML_BASE_RE = re.compile(r"""\sxml:base\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")


def xml_feed_posts(
    document: str, headers: Mapping[str, str], *, feed_url: str, site_url: str, now: datetime
) -> list[Post]:
    """The posts of a scrubbed XML feed document, in document order."""
    response_headers = {name.lower(): value for name, value in headers.items()}
    # The document is UTF-8 now; content-location is the base for relative links.
    response_headers["content-type"] = "application/xml; charset=utf-8"
    response_headers["content-location"] = feed_url
    try:
        result = feedparser.parse(
            io.BytesIO(document.encode("utf-8")),
            response_headers=response_headers,
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser's lenient parser has crashed on odd input
        raise FeedError(f"the feed could not be parsed: {exc!r}", url=feed_url) from exc
    version = str(result.get("version") or "")
    entries = result.get("entries") or []
    if not version and not entries:
        raise FeedError("not an RSS, Atom or JSON feed", url=feed_url)
    # Only Atom declares title and summary types; for RSS feedparser guesses them.
    atom = version.startswith("atom")
    types_guessed = not atom
    not_links = _document_urls(document, feed_url)
    # Plain dicts: FeedParserDict maps a missing updated_parsed to published_parsed, warning.
    entries = [dict(entry) for entry in entries]
    posts = [
        entry_post(
            entry.get("title"),
            _entry_hrefs(entry, atom=atom),
            _entry_date(entry),
            feed_url=feed_url,
            site_url=site_url,
            now=now,
            title_markup=_is_markup(_title_type(entry), entry.get("title"), types_guessed),
            excerpts=_entry_excerpts(entry, types_guessed=types_guessed),
            not_links=not_links,
            # feedparser copies any Atom id into ``link``: entry_post judges the id itself.
            atom_id=entry.get("id") if atom else None,
            related=_related_hrefs(entry) if atom else (),
        )
        for entry in entries
    ]
    return usable(posts, feed_url)


def parse_date_fallback(value: str) -> datetime | None:
    """A date in any spelling feedparser's date parser knows, as aware UTC, or None; None
    too when its answer was not read from ``value`` (see :func:`.dates.plausible`)."""
    # feedparser keeps its parser private; tests/test_layout.py fails if it goes away.
    return plausible(from_struct_time(feedparser_datetimes._parse_date(value)), value)


def _title_type(entry: Mapping[str, Any]) -> Any:
    return (entry.get("title_detail") or {}).get("type")


def _entry_excerpts(entry: Mapping[str, Any], *, types_guessed: bool) -> list[tuple[Any, bool]]:
    """The texts that stand in for a title without words: (text, is-HTML)."""
    # Without a summary_detail, feedparser's "summary" is a copy of the content: skip it.
    details = [entry.get("summary_detail"), *(entry.get("content") or [])]
    return [
        (detail.get("value"), _is_markup(detail.get("type"), detail.get("value"), types_guessed))
        for detail in details
        if detail
    ]


def _is_markup(content_type: Any, text: Any, types_guessed: bool) -> bool:
    """Whether a feedparser text construct holds HTML.

    feedparser calls RSS text "text/plain" when it holds a tag it does not know (<script>,
    <svg>): such text is markup all the same. Atom's type="text" is taken at its word.
    """
    if str(content_type or "").lower() in _HTML_TYPES:
        return True
    return types_guessed and isinstance(text, str) and _TAG_RE.search(text) is not None


def _document_urls(document: str, feed_url: str) -> frozenset[str]:
    """The feed's URL and its root element's xml:base, resolved: URLs no entry links to."""
    start = root_start(document)
    end = document.find(">", start)
    base = _XML_BASE_RE.search(document, start, end if end >= 0 else len(document))
    url = safe_http_url(base.group(1) or base.group(2), feed_url) if base else None
    return frozenset({feed_url, url} if url else {feed_url})


def _entry_hrefs(entry: Mapping[str, Any], *, atom: bool) -> list[Any]:
    """The entry's candidate web pages: its HTML rel="alternate" links, then ``entry.link``
    (for Atom only when it is not the copy of ``<id>`` feedparser makes)."""
    hrefs = [
        link.get("href")
        for link in entry.get("links") or []
        if link.get("rel", "alternate") == "alternate" and link.get("type", "") in _PAGE_LINK_TYPES
    ]
    if not atom or entry.get("link") != entry.get("id"):
        hrefs.append(entry.get("link"))
    return hrefs


def _related_hrefs(entry: Mapping[str, Any]) -> list[Any]:
    """An Atom entry's rel="related" page links (a link blog's own post)."""
    return [
        item.get("href")
        for item in entry.get("links") or []
        if item.get("rel") == "related" and item.get("type", "") in _PAGE_LINK_TYPES
    ]


def _entry_date(entry: Mapping[str, Any]) -> datetime | None:
    """Published, else updated, as an aware UTC datetime: a localized or slashed date as the
    streaming reader reads it, else feedparser's (its struct_time is UTC) when it read it."""
    for key in ("published", "updated"):
        written = entry.get(key)
        if not isinstance(written, str):
            continue
        moment = parse_other_spellings(written) or plausible(
            from_struct_time(entry.get(f"{key}_parsed")), written
        )
        if moment is not None:
            return moment
    return None
