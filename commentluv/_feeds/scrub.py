"""Scrubbing decoded XML (pure) before any parser sees it.

Everything before the root element is dropped (DOCTYPE, internal subset, ENTITY and
parameter-entity declarations, comments), so no entity is ever expanded and no external one
fetched. Characters XML forbids and character references to them are removed, since
feedparser's fallback parser crashes on ``&#xD83D;``; surrogate-pair references are joined.
Stray text before a late XML declaration (PHP warnings) is dropped, and references XML does
not know are repaired: a raw ``&`` that starts no reference becomes ``&amp;`` and an HTML
entity (``&nbsp;``) its character reference, so the document parses strictly and
feedparser's lenient parser never turns ``Q&A`` into ``Q&A;``.
"""

from __future__ import annotations

import re
from html.entities import html5

__all__ = [
    "cut_feed",
    "drop_long_tags",
    "prolog_declares",
    "remove_invalid_chars",
    "repair_references",
    "root_start",
    "scrub_xml",
]

_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# Characters XML 1.0 forbids (and lone surrogates a lenient decoder may produce).
_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Runs of character references. One digit class per reference, and "&#" and ";" around
# each, so the scan is linear whatever the input: which references are bad (a character XML
# forbids, a lone surrogate, beyond U+10FFFF) is decided in code, not by the pattern.
_CHAR_REF_RUN_RE = re.compile(r"(?:&#(?:[xX][0-9a-fA-F]+|[0-9]+);)+")
_CHAR_REF_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")

# The prolog scan stops at the first "<" + ASCII word character, the same test feedparser uses
# to find the end of the prolog, so feedparser's view of the prolog is never longer than ours.
_PROLOG_MARKUP_RE = re.compile(r"<(?:!--|[?!]|[A-Za-z0-9_])")

# The end of an RSS item or an Atom entry (RSS 1.0's items too: they are rdf:RDF's children).
_ITEM_END_RE = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT_NAME_RE = re.compile(r"<([\w.:-]+)")
# A tag (or what starts like one) of 4 KiB or more; each try stops at the next "<" or ">".
_LONG_TAG_RE = re.compile(r"<[^<>]{4096,}>?")
# What changes the state of a declaration scan (see _declaration_end).
_DECLARATION_STOP_RE = re.compile("[\"'\\[\\]>]")
# Stands for a reference beyond Unicode while a run is checked (U+FFFF is never kept).
_BAD = "\uffff"
# A CDATA section or a comment (kept whole: "&" is literal there; an unclosed one runs to the
# end), or an "&" that starts no XML reference, with the entity name that may follow it.
_LOOSE_AMPERSAND_RE = re.compile(
    r"<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)"
    r"|&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#[xX][0-9a-fA-F]+);)(?:([A-Za-z][A-Za-z0-9]{0,31});)?",
    re.DOTALL,
)
_FEED_ROOT_RE = re.compile(r"<(?:rss|feed|rdf:RDF)[\s>]|<[\w.-]+:(?:feed|RDF)[\s>]")
# How far into a body a late XML declaration is looked for (warnings are short).
_LATE_DECLARATION_CHARS = 64 * 1024


def scrub_xml(text: str) -> str:
    """Decoded XML → the same document with a UTF-8 declaration, no prolog, no bad characters."""
    text = remove_invalid_chars(text)
    text = _CHAR_REF_RUN_RE.sub(_repair_char_refs, text)
    text = _after_late_declaration(text)
    return _XML_DECLARATION + repair_references(text[root_start(text) :])


def repair_references(text: str) -> str:
    """``text`` with every ``&`` outside CDATA and comments starting a reference XML knows:
    a raw one becomes ``&amp;``, an HTML entity its character references (``&nbsp;`` →
    ``&#160;``), and a name no one defines (``&foo;``) literal text."""
    return _LOOSE_AMPERSAND_RE.sub(_repair_ampersand, text)


def _repair_ampersand(match: re.Match[str]) -> str:
    found = match.group()
    if not found.startswith("&"):
        return found  # a CDATA section or a comment
    name = match.group(1)
    characters = html5.get(f"{name};") if name else None
    if characters is None:
        return "&amp;" + found[1:]
    return "".join(f"&#{ord(character)};" for character in characters)


def _after_late_declaration(text: str) -> str:
    """``text`` from its XML declaration on when something precedes it (a declaration is
    only valid first) and no feed root comes before it."""
    declaration = text.find("<?xml", 0, _LATE_DECLARATION_CHARS)
    if declaration <= 0 or _FEED_ROOT_RE.search(text, 0, declaration):
        return text
    return text[declaration:]


def cut_feed(document: str, *, max_items: int, max_chars: int) -> str | None:
    """A scrubbed document cut just after its ``max_items``-th item, and within ``max_chars``
    characters, with its root element closed again; unchanged when it is within both, and
    None when not one whole item fits in ``max_chars``."""
    ends = _ITEM_END_RE.finditer(document)
    cut = None
    for count, end in enumerate(ends, 1):
        if end.end() > max_chars:
            break
        cut = end.end()
        if count == max_items:
            break
    else:
        if len(document) <= max_chars:
            return document  # every item, whole
    if cut is None:
        return None if len(document) > max_chars else document
    root = _ROOT_NAME_RE.search(document, len(_XML_DECLARATION))
    name = root.group(1) if root else ""
    closing = "</channel></rss>" if name.lower() == "rss" else f"</{name}>" if name else ""
    return document[:cut] + closing


def drop_long_tags(document: str) -> str:
    """``document`` without tags of 4 KiB or more: feedparser's time grows with the square of
    a tag's attributes (57,000 in one tag took minutes), and no field read here needs one."""
    return _LONG_TAG_RE.sub("", document)


def remove_invalid_chars(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids and without lone surrogates."""
    return _INVALID_XML_CHARS_RE.sub("", text)


def _repair_char_refs(match: re.Match[str]) -> str:
    """A run of character references as it was when every one is fine, else with surrogate
    pairs joined and the invalid ones removed."""
    chars = []
    for hex_digits, decimal_digits in _CHAR_REF_RE.findall(match.group()):
        digits = (hex_digits or decimal_digits).lstrip("0")
        if len(digits) > 8:  # beyond U+10FFFF whatever the digits, and int() stays cheap
            chars.append(_BAD)
            continue
        code = int(digits or "0", 16 if hex_digits else 10)
        chars.append(chr(code) if code <= 0x10FFFF else _BAD)
    text = "".join(chars)
    if _BAD not in text and not _INVALID_XML_CHARS_RE.search(text):
        return match.group()
    # Round-tripping through UTF-16 pairs the surrogates up and drops the lone ones.
    joined = (
        text.replace(_BAD, "").encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    )
    return "".join(f"&#{ord(char)};" for char in remove_invalid_chars(joined))


def root_start(text: str) -> int:
    """Index of the root element's "<" (len(text) when there is none).

    Comments, processing instructions and declarations are skipped whole; one left unclosed
    swallows the rest of the document, as it does for an XML parser.
    """
    position = 0
    while match := _PROLOG_MARKUP_RE.search(text, position):
        start, opener = match.start(), match.group()
        if opener == "<!--":
            end = text.find("-->", start + 4)
            position = end + 3 if end >= 0 else len(text)
        elif opener == "<?":
            end = text.find("?>", start + 2)
            position = end + 2 if end >= 0 else len(text)
        elif opener == "<!":
            position = _declaration_end(text, start)
        else:
            return start
    return len(text)


def _declaration_end(text: str, start: int) -> int:
    """Just past the markup declaration at ``start`` (``<!DOCTYPE ... [subset]>``): quoted
    strings may hold ">" and "]", the subset may hold "<" and ">". An unclosed one runs to the
    end. A scan by hand, one pass: a regex for this backtracks on hostile input."""
    position, in_subset = start + 2, False
    while stop := _DECLARATION_STOP_RE.search(text, position):
        position, char = stop.start(), stop.group()
        if char in "\"'":
            end = text.find(char, position + 1)
            if end < 0:
                return len(text)
            position = end
        elif char == "[":
            in_subset = True
        elif char == "]":
            in_subset = False
        elif char == ">" and not in_subset:
            return position + 1
        position += 1
    return len(text)


def prolog_declares(prolog: str) -> bool:
    """Whether a prolog holds a markup declaration (a DOCTYPE) outside its comments."""
    position = 0
    while (opener := prolog.find("<!", position)) >= 0:
        if not prolog.startswith("<!--", opener):
            return True
        end = prolog.find("-->", opener + 4)
        if end < 0:
            return False  # the rest is one unclosed comment
        position = end + 3
    return False
