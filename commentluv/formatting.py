"""Backlink formatting (pure): a :class:`~commentluv.models.Post` → the line shown under a comment.

Styles are templates with the placeholders ``{name}``, ``{title}``, ``{link}`` and ``{site}``;
``{{`` and ``}}`` are literal braces. Every substituted value is untrusted: it is cleaned by
the one rule of :mod:`commentluv._text` (no tag-shaped text, one plain line) in every format,
then escaped for the output format. The literal text of a template is the developer's own
and is kept exactly as written in every format (so a custom HTML template may contain markup).

In ``html``, ``{title}`` is an ``<a>`` to the post (``rel="nofollow ugc"``, or ``rel="ugc"``
with ``dofollow``). In ``markdown``, ``{title}`` is ``[title](link)`` and ``{link}`` is an
autolink ``<link>``; text is backslash-escaped so it renders literally in CommonMark.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import reprlib
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args
from urllib.parse import quote, urlsplit

from ._shared.text import clean_text
from ._shared.urls import MAX_URL_LENGTH, safe_http_url
from .models import Post

__all__ = [
    "FORMATS",
    "STYLES",
    "Format",
    "as_format",
    "format_backlink",
    "validate_style",
    "validate_template",
]

Format = Literal["text", "html", "markdown"]
# The formats by name, for settings, flags and query parameters.
FORMATS: tuple[Format, ...] = get_args(Format)

STYLES: Mapping[str, str] = MappingProxyType(
    {
        "card": ".-= {name}'s last blog ..{title} =-.",
        "classic": ".-= {name}\u00b4s last blog ..{title} =-.",
        "recent": "{name} recently posted..{title}",
    }
)

_NAME_MAX_LENGTH = 100
_TITLE_MAX_LENGTH = 200

_FIELDS = frozenset({"name", "title", "link", "site"})
# CommonMark lets a backslash escape any ASCII punctuation character, and only those.
_MD_PUNCTUATION_RE = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub-flavoured renderers turn e-mail addresses, "www." hosts and the URLs of the schemes
# they know in plain text into links, escaped or not (they look at the text once escapes are
# undone). A zero-width space after such an "@", scheme ":" or "www" breaks the shape, unseen.
_MD_AUTOLINK_RE = re.compile(
    r"(?<=[A-Za-z0-9._%+-])@(?=[A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])(?:https?|ftp|mailto|xmpp):"
    r"|(?<![A-Za-z0-9])www(?=\.)",
    re.IGNORECASE,
)
_ZERO_WIDTH_SPACE = "&#8203;"
# Anything that could end a link destination or an autolink early: non-printable ASCII,
# space, parentheses, angle brackets, quotes and backslashes.
_MD_URL_UNSAFE_RE = re.compile(r"""[^\x21-\x7e]|[()<>"'\\]""")


def validate_template(template: str) -> None:
    """Raise ValueError unless ``template`` is a usable backlink template.

    Only bare ``{name}``, ``{title}``, ``{link}`` and ``{site}`` are allowed: no positional
    ``{}``, attribute or index access, conversions or format specs, and at least one of them.
    """
    _parse(template)


def validate_style(style: str, fmt: str = "text") -> None:
    """Raise ValueError unless :func:`format_backlink` accepts ``style`` and ``fmt``.

    Lets a caller fail fast on a bad style or format before doing any network work.
    """
    _compile(style, fmt)


def format_backlink(
    post: Post,
    name: str,
    *,
    style: str = "card",
    fmt: Format = "text",
    dofollow: bool = False,
) -> str:
    """Format the backlink line for ``post`` by the commenter ``name``.

    ``style`` is a key of :data:`STYLES` or a template (see :func:`validate_template`).
    ``fmt`` is ``"text"`` (no escaping), ``"html"`` or ``"markdown"``. ``dofollow`` drops
    ``nofollow`` from the HTML link's ``rel``. Raises ValueError for an unknown style, an
    invalid template or an unknown format.
    """
    pieces = _compile(style, fmt)
    values = _render_fields(post, name, fmt, dofollow)
    return "".join(literal + (values[field] if field else "") for literal, field in pieces)


def as_format(name: object) -> Format:
    """``name`` as a :data:`Format`; a ValueError names the formats for any other value."""
    for fmt in FORMATS:
        if name == fmt:
            return fmt
    raise ValueError(f"unknown format {name!r}: expected one of {', '.join(FORMATS)}")


def _compile(style: str, fmt: str) -> tuple[tuple[str, str | None], ...]:
    """Check ``fmt`` and turn ``style`` (a style name or a template) into template pieces."""
    as_format(fmt)
    return _parse(STYLES.get(style, style))


# Remembered: a busy comment page or a backfill formats with the same few templates.
@functools.lru_cache(maxsize=256)
def _parse(template: str) -> tuple[tuple[str, str | None], ...]:
    """Split a template into (literal text, field name or None) pairs, validating it."""
    shown = reprlib.repr(template)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed template {shown}: {exc}") from None
    pieces: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is not None:
            if field not in _FIELDS:
                placeholder = reprlib.repr("{" + field + "}")
                raise ValueError(
                    f"placeholder {placeholder} not allowed in template {shown}: use only bare "
                    "{name}, {title}, {link} or {site}"
                )
            if conversion is not None:
                raise ValueError(f"conversion !{conversion} not allowed in template {shown}")
            if spec:
                raise ValueError(f"format spec :{spec} not allowed in template {shown}")
        pieces.append((literal, field))
    if all(field is None for _, field in pieces):
        raise ValueError(
            f"unknown style {shown}: expected one of {', '.join(STYLES)} or a template "
            "with {name}, {title}, {link} or {site}"
        )
    return tuple(pieces)


def _render_fields(post: Post, name: str, fmt: Format, dofollow: bool) -> dict[str, str]:
    """The value of every placeholder, cleaned and escaped for ``fmt``."""
    title = clean_text(post.title, _TITLE_MAX_LENGTH, markup=False)
    site = clean_text(post.site_url, MAX_URL_LENGTH, markup=False)
    name = clean_text(name, _NAME_MAX_LENGTH, markup=False) or clean_text(
        _display_host(site), _NAME_MAX_LENGTH, markup=False
    )
    # A Post may be built by hand, so its link is checked again here.
    link = safe_http_url(post.link, keep_fragment=True)
    if fmt == "html":
        rel = "ugc" if dofollow else "nofollow ugc"
        return {
            "name": html.escape(name),
            "title": (
                f'<a href="{html.escape(link)}" rel="{rel}">{html.escape(title)}</a>'
                if link
                else html.escape(title)
            ),
            "link": html.escape(link or ""),
            "site": html.escape(site),
        }
    if fmt == "markdown":
        url = _markdown_url(link) if link else None
        return {
            "name": _markdown_text(name),
            "title": f"[{_markdown_text(title)}]({url})" if url else _markdown_text(title),
            "link": f"<{url}>" if url else "",
            "site": _markdown_text(site),
        }
    return {"name": name, "title": title, "link": link or "", "site": site}


def _display_host(site_url: str) -> str:
    """The host of ``site_url`` without a leading ``www.``, or "" when it has none."""
    try:
        host = urlsplit(site_url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _markdown_text(text: str) -> str:
    """Backslash-escape ``text`` so CommonMark renders it literally (no links, HTML, emphasis),
    and break the shapes GitHub-flavoured Markdown would autolink."""
    cuts = [0, *(match.end() for match in _MD_AUTOLINK_RE.finditer(text)), len(text)]
    pieces = (text[start:end] for start, end in itertools.pairwise(cuts))
    return _ZERO_WIDTH_SPACE.join(_MD_PUNCTUATION_RE.sub(r"\\\1", piece) for piece in pieces)


def _markdown_url(url: str) -> str:
    """Percent-encode what could end a link destination ``(...)`` or an autolink ``<...>``."""
    return _MD_URL_UNSAFE_RE.sub(lambda match: quote(match.group(), safe=""), url)
