"""Plain-text cleaning (pure): the one rule for every untrusted title, name and post text.

After a source's own escaping is decoded (entities by the XML parser or JSON, HTML-typed text
turned into text with its tags removed and entities decoded once), every untrusted value is
reduced to one line of plain text in which nothing shaped like an HTML tag survives: ``<``
followed by a letter, ``</``, ``<!`` or ``<?`` starts a tag running to the next ``>``
(closed or not), which is removed, with the whole body of a script or style element.
Invisible and control characters are removed, whitespace is collapsed and the length capped
on a word boundary; only HTML text has its entities decoded, so plain text keeps ``&amp;``.
"""

from __future__ import annotations

import html
import re

__all__ = ["clean_text", "strip_tags", "truncate_words"]

ELLIPSIS = "…"

# A tag: "<" + a name (group 2, after an optional "/"), or "<!", "<?" or "</"; closed or not.
_TAG_RE = re.compile(r"<(?:(/?)([a-zA-Z][a-zA-Z0-9]*)|[!?/])[^<>]*>?", re.DOTALL)
# What still opens a tag once tags are removed: removing the <b> of "<<b>b>" leaves "<b>".
_TAG_OPENER_RE = re.compile(r"<+(?=[a-zA-Z!?/])")
_MAX_TAG_PASSES = 4
# Inline tags join the words around them ("#<span>rust</span>" is "#rust"); any other tag
# separates words.
_INLINE_TAGS = frozenset(
    (
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i",
        "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
        "u", "var", "wbr",
    )
)  # fmt: skip
_SCRIPT_STYLE_RE = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.DOTALL)
# C0/C1 controls (tab/newline become spaces first), bidi embeddings/overrides/isolates,
# zero-width characters and other invisible format characters.
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_WHITESPACE_RE = re.compile(r"\s+")


def strip_tags(markup: str) -> str:
    """Remove HTML tags (and script/style bodies), keeping CDATA text; entities are kept."""
    text = _CDATA_RE.sub(lambda m: m.group(1), markup)
    text = _SCRIPT_STYLE_RE.sub(" ", text)
    return _TAG_RE.sub(lambda m: "" if (m.group(2) or "").lower() in _INLINE_TAGS else " ", text)


def truncate_words(text: str, max_length: int) -> str:
    """Cut ``text`` to at most ``max_length`` characters on a word boundary, adding an ellipsis."""
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    space = cut.rfind(" ")
    if space > max_length // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def clean_text(raw: str, max_length: int = 200, *, markup: bool = True) -> str:
    """Untrusted text → one clean line of plain text, by the rule of this module.

    ``markup`` only says whether the input is HTML, whose entities are decoded (once, after
    its tags are removed); tag-shaped text is removed either way, also when decoding made it.
    Control, bidi-override and zero-width characters are removed (first, so that none can
    hide a tag), whitespace collapsed, and the result capped at ``max_length`` characters on
    a word boundary with an ellipsis.
    """
    text = html.unescape(strip_tags(raw)) if markup else raw
    text = _INVISIBLE_RE.sub("", text)
    text = _remove_tags(text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    return truncate_words(text, max_length)


def _remove_tags(text: str) -> str:
    """``text`` with nothing shaped like a tag left: :func:`strip_tags` until none is (a few
    passes undo nesting such as "<<b>b>"), then any "<" that still opens one is dropped."""
    for _ in range(_MAX_TAG_PASSES):
        if not _TAG_OPENER_RE.search(text):
            return text
        text = strip_tags(text)
    return _TAG_OPENER_RE.sub("", text)
