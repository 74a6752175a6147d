"""Scrubbing decoded XML (pure) before any parser sees it.

Everything before the root element is dropped (DOCTYPE, internal subset, ENTITY and
parameter-entity declarations, comments), so no entity is ever expanded and no external one
fetched. Characters XML forbids and character references to them are removed, since
feedparser's fallback parser crashes on ``&#xD83D;``; surrogate-pair references are joined.
"""

from __future__ import annotations

import re

__all__ = ["prolog_declares", "remove_invalid_chars", "root_start", "scrub_xml"]

_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# Characters XML 1.0 forbids (and lone surrogates a lenient decoder may produce).
_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Runs of character references that may name such a character, U+FFFE/U+FFFF or something
# beyond U+10FFFF. Common ones (&#8217; &#x2019;) do not match, which keeps the scan cheap.
_SUSPECT_CHAR_REF = (
    r"&#(?:[xX]0*(?:[0-9a-fA-F]|1[0-9a-fA-F]|[dDfF][0-9a-fA-F]{3}|[0-9a-fA-F]{6,})"
    r"|0*(?:[0-9]|[0-3][0-9]|[0-9]{5,}));"
)
# Spelled with a literal start so that re can skip ahead to each "&#".
_SUSPECT_CHAR_REFS_RE = re.compile(f"{_SUSPECT_CHAR_REF}(?:{_SUSPECT_CHAR_REF})*")
_CHAR_REF_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")

# The prolog scan stops at the first "<" + ASCII word character, the same test feedparser uses
# to find the end of the prolog, so feedparser's view of the prolog is never longer than ours.
_PROLOG_MARKUP_RE = re.compile(r"<(?:!--|[?!]|[A-Za-z0-9_])")
# A markup declaration with an optional internal subset; quoted strings may hold ">" and "]".
# Every alternative starts with a different character, so a failed match backtracks linearly.
_DECLARATION_RE = re.compile(
    r"""<!(?:[^\[>"']|"[^"]*"|'[^']*'|\[(?:[^\]"']|"[^"]*"|'[^']*')*\])*>"""
)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


def scrub_xml(text: str) -> str:
    """Decoded XML → the same document with a UTF-8 declaration, no prolog, no bad characters."""
    text = remove_invalid_chars(text)
    text = _SUSPECT_CHAR_REFS_RE.sub(_repair_char_refs, text)
    return _XML_DECLARATION + text[root_start(text) :]


def remove_invalid_chars(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids and without lone surrogates."""
    return _INVALID_XML_CHARS_RE.sub("", text)


def _repair_char_refs(match: re.Match[str]) -> str:
    """A run of character references with surrogate pairs joined and invalid ones removed."""
    chars = []
    for hex_digits, decimal_digits in _CHAR_REF_RE.findall(match.group()):
        digits = (hex_digits or decimal_digits).lstrip("0")
        if len(digits) > 8:
            continue
        code = int(digits or "0", 16 if hex_digits else 10)
        if code <= 0x10FFFF:
            chars.append(chr(code))
    # Round-tripping through UTF-16 pairs the surrogates up and drops the lone ones.
    joined = "".join(chars).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
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
            declaration = _DECLARATION_RE.match(text, start)
            position = declaration.end() if declaration else len(text)
        else:
            return start
    return len(text)


def prolog_declares(prolog: str) -> bool:
    """Whether a prolog holds a markup declaration (a DOCTYPE) outside its comments."""
    return "<!" in _COMMENT_RE.sub("", prolog)
