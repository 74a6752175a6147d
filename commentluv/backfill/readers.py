"""Comments from CSV and JSON Lines files, and the rules every reader shares (the WXR,
Blogger and Movable Type readers are in :mod:`~commentluv.backfill.wxr`,
:mod:`~commentluv.backfill.blogger` and :mod:`~commentluv.backfill.movabletype`): the input
format, field names, dates, approval, and the old plugin's ``cl_data``. Every reader
streams: one row in memory at a time.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, get_args

from .._shared.text import clean_text
from .._shared.urls import normalize_site_url, safe_http_url
from ..errors import InvalidURL
from ..models import Post
from .models import Comment
from .phpserial import PHPSerializationError, loads

__all__ = [
    "Columns",
    "InputError",
    "InputFormat",
    "comment_from_fields",
    "detect_format",
    "historical_post",
    "parse_date",
    "read_csv",
    "read_jsonl",
]

logger = logging.getLogger("commentluv")

InputFormat = Literal["wxr", "blogger", "mt", "csv", "jsonl"]

_SUFFIXES: Mapping[str, InputFormat] = {
    ".xml": "wxr",
    ".wxr": "wxr",
    ".atom": "blogger",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
# Field → the column names (or JSON keys) it is read from, first found wins; case-insensitive.
_CANDIDATES: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "comment_id"),
    "author": ("author", "name", "comment_author"),
    "url": ("url", "website", "author_url", "comment_author_url"),
    "date": ("date", "date_gmt", "comment_date_gmt", "comment_date", "created_at"),
    "approved": ("approved", "comment_approved"),
    "type": ("type", "comment_type"),
    "cl_data": ("cl_data",),
    "on_post": ("on_post", "post_id", "comment_post_id"),
}
_MAX_LINE = 1024 * 1024  # one JSON Lines record; a longer line is refused, not read whole
_SNIFF_BYTES = 8192
# The first element of an XML file (after the prolog), and the first line of a Movable Type
# export (an entry's first field, ``AUTHOR: ...``, ``TITLE: ...``) followed by a section end.
_XML_COMMENT_RE = re.compile(rb"<!--.*?-->", re.DOTALL)
_ROOT_RE = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_MT_RE = re.compile(r"\A\s*[A-Z][A-Z ]{1,30}:[^\n]*\n(?:.*\n)*?-----\r?\n")
_TITLE_MAX_LENGTH = 200


class InputError(ValueError):
    """The input cannot be read: malformed, a refused construct, a missing column."""

    def __init__(self, message: str, *, path: str | os.PathLike[str], line: int | None = None):
        where = f"{os.fspath(path)}:{line}" if line else os.fspath(path)
        super().__init__(f"{where}: {message}")
        self.path = os.fspath(path)
        self.line = line


@dataclass(frozen=True)
class Columns:
    """The CSV columns to read; None picks the first present of the usual names (``author``,
    ``name``, ``comment_author``; ``url``, ``website``, ``author_url``,
    ``comment_author_url``; ``date``, ``date_gmt``, ``comment_date_gmt``, ``comment_date``,
    ``created_at``; ``id``, ``comment_id``). Only the URL column is required."""

    name: str | None = None
    url: str | None = None
    date: str | None = None
    id: str | None = None


def detect_format(path: str | os.PathLike[str]) -> InputFormat:
    """The input format the file says: by its name (``.xml``/``.wxr``, ``.atom``,
    ``.csv``, ``.jsonl``/``.ndjson``/``.json``), and for ``.xml`` and ``.txt`` by its
    start (an Atom ``<feed>`` is a Blogger export, an ``<rss>`` a WXR one; a text file that
    opens with ``KEY: value`` lines and a ``-----`` line is a Movable Type export). Raises
    :class:`InputError` when it cannot tell."""
    suffix = Path(path).suffix.lower()
    found = _sniffed(path) if suffix in (".xml", ".txt") else None
    found = found or _SUFFIXES.get(suffix)
    if found is None:
        choices = ", ".join(get_args(InputFormat))
        raise InputError(f"cannot tell the format from the name: give one of {choices}", path=path)
    return found


def _sniffed(path: str | os.PathLike[str]) -> InputFormat | None:
    try:
        with open(path, "rb") as file:
            start = file.read(_SNIFF_BYTES)
    except OSError:
        return None  # not there (yet): the name decides
    root = _ROOT_RE.search(_XML_COMMENT_RE.sub(b"", start))
    if root is not None and root.group(1) in (b"feed", b"rss"):
        return "blogger" if root.group(1) == b"feed" else "wxr"
    text = start.decode("utf-8-sig", "replace")
    return "mt" if _MT_RE.match(text) else None


def read_csv(path: str | os.PathLike[str], columns: Columns | None = None) -> Iterator[Comment]:
    """The comments of a CSV file with a header row (UTF-8, a BOM is fine); a comment
    without an id is named by its row number (the first row after the header is 1)."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file)
        try:
            header = next(rows, None)
            if header is None:
                return
            fields = _csv_fields(header, columns or Columns(), path)
            for number, row in enumerate(rows, 1):
                if not any(cell.strip() for cell in row):
                    continue
                values = {name: row[i] if i < len(row) else "" for name, i in fields.items()}
                yield comment_from_fields(values, default_id=str(number))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(str(exc), path=path, line=rows.line_num) from None


def _csv_fields(
    header: list[str], columns: Columns, path: str | os.PathLike[str]
) -> dict[str, int]:
    index = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    chosen = {"id": columns.id, "author": columns.name, "url": columns.url, "date": columns.date}
    fields: dict[str, int] = {}
    for field, candidates in _CANDIDATES.items():
        named = chosen.get(field)
        if named is not None:
            if named.strip().lower() not in index:
                raise InputError(f"no column {named!r} (columns: {', '.join(header)})", path=path)
            fields[field] = index[named.strip().lower()]
            continue
        found = next((index[name] for name in candidates if name in index), None)
        if found is not None:
            fields[field] = found
    if "url" not in fields:
        raise InputError(
            f"no URL column (looked for {', '.join(_CANDIDATES['url'])}; "
            "name one with --url-column)",
            path=path,
        )
    return fields


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Comment]:
    """The comments of a JSON Lines file: one object per line, keys as the CSV columns'
    (``cl_data`` may be the PHP-serialized text or an object); blank lines are skipped and
    a comment without an id is named by its line number."""
    with open(path, encoding="utf-8-sig") as file:
        for number, line in enumerate(iter(lambda: file.readline(_MAX_LINE + 1), ""), 1):
            if len(line) > _MAX_LINE:
                raise InputError(
                    f"a line longer than {_MAX_LINE} characters", path=path, line=number
                )
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except (ValueError, RecursionError) as exc:
                raise InputError(f"not JSON: {exc}", path=path, line=number) from None
            if not isinstance(data, dict):
                raise InputError("each line must be a JSON object", path=path, line=number)
            keys = {str(key).lower(): value for key, value in data.items()}
            values = {
                field: next((keys[name] for name in candidates if name in keys), None)
                for field, candidates in _CANDIDATES.items()
            }
            yield comment_from_fields(values, default_id=str(number))


def comment_from_fields(fields: Mapping[str, Any], *, default_id: str) -> Comment:
    """A :class:`Comment` from raw fields (``id``, ``author``, ``url``, ``date``,
    ``approved``, ``type``, ``cl_data``, ``on_post``; any may be missing); ``default_id`` (a row or
    line number) names a comment without an id."""
    url = _text(fields.get("url"))
    return Comment(
        id=_text(fields.get("id")) or default_id,
        author=_text(fields.get("author")),
        url=url,
        date=parse_date(_text(fields.get("date"))),
        approved=_approved(fields.get("approved")),
        comment_type=_text(fields.get("type")).lower(),
        historical=_historical_from(fields.get("cl_data"), url),
        on_post=_text(fields.get("on_post")),
    )


def parse_date(text: str) -> datetime | None:
    """``2009-05-14 18:23:45`` (WordPress, GMT) or ISO 8601 → an aware datetime; times
    without an offset are UTC. None for empty, zero (``0000-00-00 ...``) or unreadable."""
    text = text.strip()
    if not text or text.startswith("0000-00-00"):
        return None
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not read "Z"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        logger.info("unreadable comment date %r: taken as unknown", text[:40])
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def historical_post(cl_data: Mapping[Any, Any], url: str) -> Post | None:
    """The backlink the original plugin stored (``cl_post_title``, ``cl_post_url``), cleaned
    as a feed title is; None unless the title is left non-empty and the link is http(s)."""
    title, link = cl_data.get("cl_post_title"), cl_data.get("cl_post_url")
    if not isinstance(title, str) or not isinstance(link, str):
        return None
    clean_title = clean_text(title, _TITLE_MAX_LENGTH)
    safe_link = safe_http_url(link, keep_fragment=True)
    if not clean_title or safe_link is None:
        return None
    try:
        site = normalize_site_url(url)
    except InvalidURL:
        site = ""
    return Post(title=clean_title, link=safe_link, published=None, feed_url="", site_url=site)


def _historical_from(raw: Any, url: str) -> Post | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = loads(raw)
        except PHPSerializationError as exc:
            logger.info("cl_data skipped (%s): looking the site up instead", exc)
            return None
    post = historical_post(raw, url) if isinstance(raw, dict) else None
    if post is None:
        logger.info("cl_data without a usable title and http(s) link: looking the site up")
    return post


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _approved(value: Any) -> bool:
    # WordPress: "1" approved, "0" pending, "spam", "trash". A file without the field: approved.
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "approved")
