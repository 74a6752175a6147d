"""A page's tags (pure): the bounded prefix of a page the HTML parser sees, and its ``<link>``,
``<a>``, ``<base>`` and ``<meta>`` tags, for :mod:`.links` and :mod:`.navigation`.

The page is parsed with lxml's HTML parser (libxml2: the way browsers recover from broken
markup, ten times faster than ``html.parser``), which resolves no entity beyond HTML's own,
loads nothing and touches no network.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import SplitResult

from .._shared.urls import safe_http_url

__all__ = ["Anchor", "PageTag", "PageTags", "attribute", "base_url", "parse_tags", "parse_window"]

# The parser only ever sees a bounded prefix of the page: up to this many of each kind of tag
# we read, and this many tags in all.
_MAX_TAGS_PER_KIND = 500
_MAX_TAGS = 20_000
_COUNTED_TAGS = frozenset({"a", "link", "meta"})
_TAG_START_RE = re.compile(r"<([!/?]?)([A-Za-z][A-Za-z0-9]*)?")
# A start tag _TAG_START_RE counts: its whole name (ASCII letters in any case) is one of them.
_COUNTED_TAG_RE = re.compile(r"<(a|link|meta)(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII)
# One left open runs to the end: a search for its ">" is never repeated from the next "<?".
_PROCESSING_INSTRUCTION_RE = re.compile(r"<\?[^>]*(?:>|$)")
_READ_TAGS = ("link", "a", "base", "meta")


class PageTag(NamedTuple):
    """One tag we read: its attributes (lower-case names, entities decoded), and for an
    ``<a>`` its text and the alt text of its first image (an RSS icon's). A named tuple,
    not a frozen dataclass: one is made for every tag read, at half the cost."""

    attrs: Mapping[str, str]
    text: str = ""
    image_alt: str = ""


PageTags = dict[str, list[PageTag]]
"""The tags we read by name ("link", "a", "base", "meta"), each kind in document order."""


class Anchor(NamedTuple):
    """An ``<a>`` whose href resolved to an http(s) URL, and that URL split: read once for
    the feed candidates and the blog pages alike (a large page's links outnumber the
    entries of urlsplit's cache, so a second split of each was a second parse)."""

    tag: PageTag
    url: str
    parts: SplitResult


def parse_window(text: str) -> str:
    """The prefix of ``text`` the parser may see (see ``_MAX_TAGS``)."""
    # Fewer "<" than the smaller limit: no limit can be reached, nothing needs counting.
    if text.count("<") > _MAX_TAGS_PER_KIND:
        text = _within_limits(text)
    # Whatever follows the last ">" is at best an unfinished tag, which html.parser rescans
    # to the end of the input for every "<" in it.
    return text[: text.rfind(">") + 1]


def _within_limits(text: str) -> str:
    """``text`` up to the first tag past a limit (all of it when none is)."""
    # Most pages reach no limit, which counting in C tells at once: walking the tags one by
    # one in Python cost a large homepage more than everything else its discovery does.
    counted = Counter(map(str.lower, _COUNTED_TAG_RE.findall(text)))
    if text.count("<") <= _MAX_TAGS and max(counted.values(), default=0) <= _MAX_TAGS_PER_KIND:
        return text
    per_kind = dict.fromkeys(_COUNTED_TAGS, 0)
    for total, tag in enumerate(_TAG_START_RE.finditer(text), 1):
        name = "" if tag.group(1) else (tag.group(2) or "").lower()
        if name in per_kind:
            per_kind[name] += 1
        if total > _MAX_TAGS or per_kind.get(name, 0) > _MAX_TAGS_PER_KIND:
            return text[: tag.start()]
    return text


def parse_tags(text: str) -> PageTags:
    """The ``<link>``, ``<a>``, ``<base>`` and ``<meta>`` tags of a page, by name."""
    # Each reader wants one kind: sorting them once spares it a pass over all the others.
    tags: PageTags = {name: [] for name in _READ_TAGS}
    # No <?...?> matters here, and lxml refuses text that opens with an XML declaration.
    if "<?" in text:
        text = _PROCESSING_INSTRUCTION_RE.sub("", text)
    if "<" not in text:
        return tags
    from lxml import etree, html  # type: ignore[import-untyped, unused-ignore]

    try:
        root: Any = html.fromstring(text, parser=_parser(html))
    except (etree.ParserError, ValueError):  # nothing to parse, or no element at all
        return tags
    for element in root.iter(*_READ_TAGS):
        tags[element.tag].append(_page_tag(element))
    return tags


_per_thread = threading.local()


def _parser(html: Any) -> Any:
    """This thread's parser: lxml parsers are not to be shared between threads, and making
    one costs as much as reading a small page's tags."""
    parser = getattr(_per_thread, "parser", None)
    if parser is None:
        parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
        _per_thread.parser = parser
    return parser


def _page_tag(element: Any) -> PageTag:
    attrs = dict(element.items())
    names = "".join(attrs)
    if names.lower() != names:  # libxml2 lower-cases ASCII names only
        attrs = {name.lower(): value for name, value in element.items()}
    if element.tag != "a":
        return PageTag(attrs)
    image = next(element.iter("img"), None)
    alt = str(image.get("alt", "")) if image is not None else ""
    return PageTag(attrs, " ".join(element.text_content().split()), alt)


def attribute(tag: PageTag, name: str) -> str:
    """The tag's ``name`` attribute as text ("" when absent)."""
    return tag.attrs.get(name, "")


def base_url(bases: list[PageTag], page: str | None) -> str | None:
    """The URL relative links resolve against: the first ``<base href>``, else the page."""
    for tag in bases:
        if "href" in tag.attrs:
            return safe_http_url(attribute(tag, "href"), page) or page
    return page
