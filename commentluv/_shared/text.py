"""Plain-text cleaning (pure): the one rule for every untrusted title, name and post text.

After a source's own escaping is decoded (entities by the XML parser or JSON, HTML-typed text
turned into text with its tags removed and entities decoded once), every untrusted value is
reduced to one line of plain text in which nothing shaped like an HTML tag survives: ``<``
followed by a letter, ``</``, ``<!`` or ``<?`` starts a tag running to the next ``>``
(closed or not), which is removed, with the whole body of a script or style element.
Invisible characters (controls, every Unicode format character but a joiner inside a word or
an emoji, the Hangul fillers) are removed, whitespace is collapsed and the length capped
on a word boundary; only HTML text has its entities decoded, so plain text keeps ``&amp;``.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["clean_text", "counted", "strip_tags", "truncate_words"]

ELLIPSIS = "…"

# A tag: "<" + a name (group 2, after an optional "/"), or "<!", "<?" or "</"; closed or not.
_TAG_RE = re.compile(r"<(?:(/?)([a-zA-Z][a-zA-Z0-9]*)|[!?/])[^<>]*>?", re.DOTALL)
# What still opens a tag once tags are removed: removing the <b> of "<<b>b>" leaves "<b>".
_TAG_OPENER_RE = re.compile(r"<(?=[a-zA-Z!?/])")
# Runs of "<", each matched once (a lookahead after "<+" would retry every "<" of a run).
_LT_RUN_RE = re.compile(r"<+")
_TAG_START_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?/")
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
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)  # unclosed: runs to the end
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.DOTALL)
# Removed from every value: C0/C1 controls but tab, newline and CR (they become spaces), every
# format (Cf) character of Unicode 15 (bidi controls, zero-width characters, tag characters
# U+E0000-E007F, musical and hieroglyph format controls, prepended Arabic marks...: a title
# must not look blank or carry hidden text), and the Hangul fillers, which render as nothing.
# ZWNJ and ZWJ are dealt with on their own: they shape words and emoji.
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\u115f\u1160\u3164\uffa0]"
)
_JOINER_RE = re.compile("[\u200c\u200d]")
# A joiner is kept between two of these (letters, marks, digits, symbols: words and emoji).
_JOINABLE_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "So", "Sk"})
_WHITESPACE_RE = re.compile(r"\s+")


def strip_tags(markup: str) -> str:
    """Remove HTML tags (and script/style bodies), keeping CDATA text; entities are kept. A
    comment joins the words around it, as a browser shows them ("sa<!-- x -->fe": "safe")."""
    text = _CDATA_RE.sub(lambda m: m.group(1), markup)
    text = _COMMENT_RE.sub("", text)
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
    if _is_plain(raw, markup):
        return truncate_words(raw.strip(), max_length)
    return _clean(raw, max_length, markup)


def _clean(raw: str, max_length: int, markup: bool) -> str:
    """The rule, step by step."""
    text = html.unescape(strip_tags(raw)) if markup else raw
    text = _remove_invisible(text)
    text = _remove_tags(text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    return truncate_words(text, max_length)


def _is_plain(raw: str, markup: bool) -> bool:
    """Whether the rule would change nothing in ``raw`` but its ends: printable ASCII (no
    control, invisible or non-space whitespace character) with no "<", no run of spaces and,
    in markup, no "&" (most titles; a property test holds it to the full rule)."""
    return (
        raw.isascii()
        and raw.isprintable()
        and "<" not in raw
        and "  " not in raw
        and not (markup and "&" in raw)
    )


def _remove_invisible(text: str) -> str:
    text = _INVISIBLE_RE.sub("", text)
    return _JOINER_RE.sub(_keep_if_joining, text) if "\u200c" in text or "\u200d" in text else text


def _keep_if_joining(joiner: re.Match[str]) -> str:
    """ZWNJ/ZWJ inside a word or an emoji sequence (क्‌ष, 👩‍💻) shape it; elsewhere they hide."""
    text, at = joiner.string, joiner.start()
    before, after = text[at - 1 : at], text[at + 1 : at + 2]
    inside = all(c and unicodedata.category(c) in _JOINABLE_CATEGORIES for c in (before, after))
    return joiner.group() if inside else ""


def _remove_tags(text: str) -> str:
    """``text`` with nothing shaped like a tag left: :func:`strip_tags` until none is (a few
    passes undo nesting such as "<<b>b>"), then any "<" that still opens one is dropped."""
    for _ in range(_MAX_TAG_PASSES):
        if not _TAG_OPENER_RE.search(text):
            return text
        text = strip_tags(text)
    return _LT_RUN_RE.sub(_drop_if_opening, text)


def _drop_if_opening(run: re.Match[str]) -> str:
    """A run of "<" before a letter, "!", "?" or "/" would still open a tag: drop it all."""
    following = run.string[run.end() : run.end() + 1]
    return "" if following and following in _TAG_START_CHARS else run.group()


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and its noun, singular for one: ``1 request``, ``2 requests``, ``0 sites``."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
