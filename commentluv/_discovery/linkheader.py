"""The HTTP ``Link`` response header (pure), RFC 8288: the feeds a response announces outside
its body (static hosts and some CMSs announce them only there).

``Link: </feed.xml>; rel="alternate"; type="application/rss+xml"; title="A, B", <...>; ...``:
several values in one field (a response's repeated fields arrive joined with ", "), quoted
strings that hold commas and semicolons, ``title*`` in RFC 8187's ``UTF-8''...`` form.
Targets stay as written: the caller resolves them against the response URL.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["LinkValue", "parse_link_header"]

LinkValue = dict[str, str]
"""One link-value: ``"href"`` (the target as written) and its parameters, names lower-case."""

# A header this long is not announcing feeds; the scan stays short whatever a server sends.
_MAX_HEADER_CHARS = 16 * 1024
_MAX_VALUES = 50
# Each starts with the character it needs at the position it is matched at (separators and
# spaces are skipped by hand), so no pattern rescans a run of them from every position.
_TARGET_RE = re.compile(r"<([^<>]*)>")
_PARAMETER_RE = re.compile(
    r""";\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*)))?"""
)
_QUOTED_PAIR_RE = re.compile(r"\\(.)")
_EXT_VALUE_RE = re.compile(r"\A([A-Za-z0-9_-]+)'[^']*'(.*)")
_SPACE = " \t\r\n"


def parse_link_header(value: str | None) -> list[LinkValue]:
    """The link-values of a ``Link`` header, in order; what does not parse ends the list
    (a value cut mid-way is dropped, never guessed at). Never raises."""
    text = (value or "")[:_MAX_HEADER_CHARS]
    links: list[LinkValue] = []
    position = 0
    while len(links) < _MAX_VALUES and (
        target := _TARGET_RE.match(text, _skip(text, position, _SPACE + ","))
    ):
        link = {"href": target.group(1).strip()}
        position = target.end()
        while parameter := _PARAMETER_RE.match(text, _skip(text, position, _SPACE)):
            name, quoted, token = parameter.groups()
            position = parameter.end()
            name = name.lower()
            raw = _QUOTED_PAIR_RE.sub(r"\1", quoted) if quoted is not None else token or ""
            if name.endswith("*"):
                name, raw = name[:-1], _ext_value(raw)
            # RFC 8288: the first occurrence of a parameter counts (title* over title).
            if name not in link or parameter.group(1).endswith("*"):
                link[name] = raw
        links.append(link)
        rest = text[position:].lstrip()
        if rest and not rest.startswith(","):
            break  # junk after a value: the rest cannot be told apart reliably
    return links


def _skip(text: str, position: int, characters: str) -> int:
    """The first position at or after ``position`` that holds none of ``characters``."""
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _ext_value(value: str) -> str:
    """An RFC 8187 ``charset'lang'percent-encoded`` value as text ("" when it does not parse)."""
    match = _EXT_VALUE_RE.fullmatch(value)
    if match is None:
        return ""
    try:
        return unquote(match.group(2), encoding=match.group(1), errors="replace")
    except LookupError:
        return ""
