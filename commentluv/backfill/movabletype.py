"""Movable Type and TypePad exports (the plain-text import/export format): the comments
read out, streamed line by line.

Entries end with a line of eight dashes (``--------``) and are cut into sections by lines of
five (``-----``). A ``COMMENT:`` section starts with its fields, one ``KEY: value`` a line
(``AUTHOR``, ``EMAIL``, ``IP``, ``URL``, ``DATE`` as ``MM/DD/YYYY hh:mm:ss AM``, the blog's
local time, taken as UTC), then the comment's text; a ``PING:`` section (a TrackBack) has
``TITLE``, ``URL``, ``IP``, ``BLOG NAME``, ``DATE``. Nothing but those fields is kept, so an
export of any size takes the memory of one line at most; a field line over 1 MB is refused.
Comments have no ids in this format: each is named by its number in the file (from 1), and
carries its entry's ``BASENAME`` (else its ``TITLE``) as ``on_post``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TextIO

from .models import Comment
from .readers import InputError, comment_from_fields

__all__ = ["parse_mt_date", "read_movable_type"]

logger = logging.getLogger("commentluv")

_ENTRY_END = "--------"
_SECTION_END = "-----"
# Section → its field keys → the reader's field names (None: read, not kept).
_FIELDS: dict[str, dict[str, str | None]] = {
    "COMMENT": {"AUTHOR": "author", "URL": "url", "DATE": "date", "EMAIL": None, "IP": None},
    "PING": {"BLOG NAME": "author", "URL": "url", "DATE": "date", "TITLE": None, "IP": None},
}
_ENTRY_NAMES = ("BASENAME", "TITLE")  # what names an entry, first found wins
_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S")
_MAX_LINE = 1024 * 1024


def read_movable_type(path: str | os.PathLike[str]) -> Iterator[Comment]:
    """The comments (and TrackBacks, as ``comment_type="trackback"``) of a Movable Type or
    TypePad export, in file order. Raises :class:`~commentluv.backfill.InputError` for a
    file that is not UTF-8, or a field line over 1 MB."""
    reader = _Reader(path)
    with open(path, encoding="utf-8-sig") as file:
        for line_number, line in _lines(file, path):
            comment = reader.read(line_number, line)
            if comment is not None:
                yield comment
    comment = reader.read(None, _SECTION_END)  # a file cut short after a comment's fields
    if comment is not None:
        yield comment


class _Reader:
    """Where a read is in the file, fed one line at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.count = 0
        self.section: str | None = None  # None right after a separator: the next line names it
        self.fields: dict[str, str] | None = None  # a comment's or a ping's, until its text
        self.entry: dict[str, str] = {}  # the fields of the entry's head that name it
        self.in_entry_head = True  # an entry's first section is its head of fields

    def read(self, number: int | None, line: str | None) -> Comment | None:
        """The comment that ``line`` (None: one too long to keep) completes, if any."""
        if line in (_SECTION_END, _ENTRY_END):
            done = self._comment()
            self.section, self.fields = None, None
            self.in_entry_head = line == _ENTRY_END
            if self.in_entry_head:
                self.entry = {}
            return done
        if self.fields is not None:
            if line is None:
                raise InputError(
                    f"a field line longer than {_MAX_LINE} characters", path=self.path, line=number
                )
            key, value = _field(line)
            if key in _FIELDS[self.section or ""]:
                self.fields[key] = value
                return None
            done = self._comment()  # the text starts: nothing more to keep
            self.fields = None
            return done
        if line is None or not line.strip():
            return None
        if self.in_entry_head:
            key, value = _field(line)
            if key in _ENTRY_NAMES:
                self.entry.setdefault(key, value)
        elif self.section is None:
            self.section = line.strip().rstrip(":").upper()
            self.fields = {} if self.section in _FIELDS else None
        return None

    def _comment(self) -> Comment | None:
        if self.section not in _FIELDS or self.fields is None:
            return None
        self.count += 1
        names = _FIELDS[self.section]
        values = {names[key] or "": value for key, value in self.fields.items() if names[key]}
        date = parse_mt_date(values.pop("date", ""))
        values["date"] = date.isoformat() if date else ""
        values["type"] = "trackback" if self.section == "PING" else ""
        values["on_post"] = next((self.entry[key] for key in _ENTRY_NAMES if key in self.entry), "")
        return comment_from_fields(values, default_id=str(self.count))


def _field(line: str) -> tuple[str, str]:
    """(KEY, value) of a ``KEY: value`` line; ("", "") for any other line."""
    key, colon, value = line.partition(":")
    return (key.strip().upper(), value.strip()) if colon else ("", "")


def parse_mt_date(text: str) -> datetime | None:
    """``05/14/2009 06:23:45 PM`` (or a 24-hour ``05/14/2009 18:23:45``) as an aware
    datetime, in UTC as the export gives no zone; None for empty or unreadable."""
    text = " ".join(text.split())
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    if text:
        logger.info("unreadable comment date %r: taken as unknown", text[:40])
    return None


def _lines(file: TextIO, path: str | os.PathLike[str]) -> Iterator[tuple[int, str | None]]:
    """(line number, line without its end) of the file; None for a line over
    ``_MAX_LINE``, read to its end in pieces and dropped."""
    number = 0
    try:
        while True:
            line = file.readline(_MAX_LINE + 1)
            if not line:
                return
            number += 1
            if len(line) <= _MAX_LINE or line.endswith("\n"):
                yield number, line.rstrip("\r\n")
                continue
            while line and not line.endswith("\n"):
                line = file.readline(_MAX_LINE)
            yield number, None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path, line=number + 1) from None
