"""A page's tags (pure): the bounded prefix of a page the HTML parser sees, and its ``<link>``,
``<a>``, ``<base>`` and ``<meta>`` tags, for :mod:`.links` and :mod:`.navigation`.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import Tag
from bs4.exceptions import ParserRejectedMarkup
from bs4.filter import SoupStrainer

from .._urls import safe_http_url

__all__ = ["attribute", "base_url", "parse_tags", "parse_window"]

# html.parser is slow per tag and quadratic on some unclosed markup, so the parser only ever
# sees a bounded prefix of the page: up to this many of each kind of tag we read, and this
# many tags in all.
_MAX_TAGS_PER_KIND = 500
_MAX_TAGS = 20_000
_COUNTED_TAGS = frozenset({"a", "link", "meta"})
_TAG_START_RE = re.compile(r"<([!/?]?)([A-Za-z][A-Za-z0-9]*)?")
# One left open runs to the end: a search for its ">" is never repeated from the next "<?".
_PROCESSING_INSTRUCTION_RE = re.compile(r"<\?[^>]*(?:>|$)")
_READ_TAGS = ["link", "a", "base", "meta"]


def parse_window(text: str) -> str:
    """The prefix of ``text`` the parser may see (see ``_MAX_TAGS``)."""
    per_kind = dict.fromkeys(_COUNTED_TAGS, 0)
    for total, tag in enumerate(_TAG_START_RE.finditer(text), 1):
        name = "" if tag.group(1) else (tag.group(2) or "").lower()
        if name in per_kind:
            per_kind[name] += 1
        if total > _MAX_TAGS or per_kind.get(name, 0) > _MAX_TAGS_PER_KIND:
            text = text[: tag.start()]
            break
    # Whatever follows the last ">" is at best an unfinished tag, which html.parser rescans
    # to the end of the input for every "<" in it.
    return text[: text.rfind(">") + 1]


def parse_tags(text: str) -> list[Tag]:
    """The ``<link>``, ``<a>``, ``<base>`` and ``<meta>`` tags of a page, in document order."""
    if "<" not in text:  # bs4 would warn that the input looks like a file name
        return []
    # bs4 warns when an XML declaration precedes the first tag (a feed, or a page's head cut
    # from one). Parsing that as HTML is deliberate here, and no <?...?> matters to us.
    text = _PROCESSING_INSTRUCTION_RE.sub("", text)
    try:
        soup = BeautifulSoup(text, "html.parser", parse_only=SoupStrainer(_READ_TAGS))
    except ParserRejectedMarkup:
        return []
    return [tag for tag in soup.find_all(_READ_TAGS) if isinstance(tag, Tag)]


def attribute(tag: Tag, name: str) -> str:
    """The tag's ``name`` attribute as text ("" when absent)."""
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def base_url(tags: list[Tag], page: str | None) -> str | None:
    """The URL relative links resolve against: the first ``<base href>``, else the page."""
    for tag in tags:
        if tag.name == "base" and tag.has_attr("href"):
            return safe_http_url(attribute(tag, "href"), page) or page
    return page
