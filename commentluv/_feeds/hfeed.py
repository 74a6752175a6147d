"""h-entry items (pure): the posts of an IndieWeb page that has no feed (microformats2).

A small reader over the HTML already fetched, rather than mf2py: mf2py imports requests (it
fetches when given a URL) and parses with html5lib, and only a few properties matter here.
It reads the page's top-level ``h-entry`` elements (inside an ``h-feed`` or not) and, outside
nested microformats, the first ``p-name``, ``u-url``, ``dt-published`` / ``dt-updated``,
``e-content`` and ``p-summary`` of each, with the standard's implied name and URL.
Microformats 1 classes (``hentry``) are not read: old WordPress themes put them on every
page, feed or no feed. Parsed with lxml's HTML parser (no network; no entities beyond
HTML's own).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

# lxml-stubs may or may not be installed; the tree is used through Any either way.
from lxml import etree, html  # type: ignore[import-untyped, unused-ignore]

from .._shared.urls import safe_http_url
from ..models import Post
from .dates import parse_other_spellings
from .decode import decode_page
from .post import MAX_ITEMS, entry_post, newest_first, parse_rfc822, parse_rfc3339

__all__ = ["hfeed_posts"]

_ENTRY = "h-entry"
_READ = frozenset({"p-name", "u-url", "dt-published", "dt-updated", "e-content", "p-summary"})
# Elements whose value is an attribute rather than their text, per kind of property.
_P_ATTRIBUTES = {"abbr": "title", "link": "title", "data": "value", "input": "value",
                 "img": "alt", "area": "alt"}  # fmt: skip
_U_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src",
                 "video": "src", "source": "src", "iframe": "src", "object": "data",
                 "abbr": "title", "data": "value", "input": "value"}  # fmt: skip
_DT_ATTRIBUTES = {"time": "datetime", "ins": "datetime", "del": "datetime", "abbr": "title",
                  "data": "value", "input": "value"}  # fmt: skip


def hfeed_posts(
    body: bytes,
    *,
    page_url: str,
    site_url: str,
    content_type: str | None = None,
    now: datetime | None = None,
) -> list[Post]:
    """The posts of the page's top-level h-entry items (at most 1,000), newest first; [] when
    it has none. Their ``feed_url`` is the page; links resolve against its ``<base>`` or
    itself, and only http(s) ones are kept; undated entries follow the dated ones."""
    text = decode_page(body, content_type)
    if _ENTRY not in text:
        return []  # no microformats2 here: not worth a parse
    parser = html.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True
    )
    try:
        root = html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return []
    base = _base(root, page_url)
    moment = now or datetime.now(timezone.utc)
    posts = (_post(entry, base, page_url, site_url, moment) for entry in _entries(root))
    return newest_first([post for post in posts if post is not None])


def _post(entry: Any, base: str, feed_url: str, site_url: str, now: datetime) -> Post | None:
    found, explicit = _properties(entry)
    name, name_markup = _name(found.get("p-name"))
    excerpts = [(_markup(found.get(key)), True) for key in ("e-content", "p-summary")]
    if not explicit:
        excerpts.append((_markup(entry), True))  # the standard's implied name: its text
    url = found.get("u-url")
    href = _attribute_or_text(url, _U_ATTRIBUTES) if url is not None else _implied_url(entry)
    published = _date(found.get("dt-published")) or _date(found.get("dt-updated"))
    return entry_post(
        name,
        [href],
        published,
        feed_url=feed_url,
        site_url=site_url,
        now=now,
        base=base,
        title_markup=name_markup,
        excerpts=excerpts,
        source="h-feed",
    )


# The tree


def _entries(root: Any) -> list[Any]:
    """The h-entry elements not inside another, in document order (a nested one is a
    comment or a quoted post)."""
    found: list[Any] = []
    stack = [root]
    while stack and len(found) < MAX_ITEMS:
        element = stack.pop()
        if _ENTRY in _classes(element):
            found.append(element)
        else:
            stack.extend(reversed(_children(element)))
    return found


def _properties(entry: Any) -> tuple[dict[str, Any], bool]:
    """The first element of each property read, outside nested microformats (a p-author
    h-card's u-url is the author's), and whether the entry has any p-* or e-* property."""
    found: dict[str, Any] = {}
    explicit = False
    stack = list(reversed(_children(entry)))
    while stack:
        element = stack.pop()
        classes = _classes(element)
        for name in classes:
            explicit = explicit or name.startswith(("p-", "e-"))
            if name in _READ:
                found.setdefault(name, element)
        if not any(name.startswith("h-") for name in classes):
            stack.extend(reversed(_children(element)))
    return found, explicit


def _children(element: Any) -> list[Any]:
    return [child for child in element if isinstance(child.tag, str)]


def _classes(element: Any) -> list[str]:
    return str(element.get("class") or "").split()


def _base(root: Any, page_url: str) -> str:
    for element in root.iter("base"):
        href = element.get("href")
        if href:
            return safe_http_url(href, page_url) or page_url
    return page_url


# Values


def _markup(element: Any) -> str:
    """An element's HTML (cleaned into text by ``entry_post``); "" for None."""
    if element is None:
        return ""
    return str(etree.tostring(element, method="html", encoding="unicode", with_tail=False))


def _name(element: Any) -> tuple[str, bool]:
    """A p-name's value and whether it is markup: an attribute for abbr, img and the like."""
    if element is None:
        return "", False
    attribute = _P_ATTRIBUTES.get(element.tag)
    if attribute and element.get(attribute) is not None:
        return str(element.get(attribute)), False
    return _markup(element), True


def _attribute_or_text(element: Any, attributes: dict[str, str]) -> str:
    attribute = attributes.get(element.tag)
    if attribute and element.get(attribute) is not None:
        return str(element.get(attribute))
    return str(element.text_content())


def _implied_url(entry: Any) -> str | None:
    """The entry's own href (an ``<a class="h-entry">``), else that of its only ``<a>``
    child."""
    if entry.tag == "a":
        return str(entry.get("href") or "") or None
    anchors = [child for child in _children(entry) if child.tag == "a" and child.get("href")]
    return str(anchors[0].get("href")) if len(anchors) == 1 else None


def _date(element: Any) -> datetime | None:
    """A dt-* value: its value-class parts joined (date, time, zone), else the element's."""
    if element is None:
        return None
    parts = [
        str(part.get("title") or "")
        if "value-title" in _classes(part)
        else _attribute_or_text(part, _DT_ATTRIBUTES)
        for part in element.iter()
        if part is not element and {"value", "value-title"} & set(_classes(part))
    ]
    value = " ".join(parts) if parts else _attribute_or_text(element, _DT_ATTRIBUTES)
    value = " ".join(value.split())[:100]
    return parse_rfc3339(value) or parse_rfc822(value) or parse_other_spellings(value)
