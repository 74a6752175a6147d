"""Backfill: backlinks for the comments a blog brings from its old engine.

    from commentluv import CommentLuv
    from commentluv.backfill import backfill, read_comments, save_results

    with CommentLuv(cache=SQLiteCache("luv.sqlite3")) as client:
        with backfill(read_comments("export.xml"), client, as_of="comment-date") as run:
            for result in run:  # one BackfillResult per comment, as sites finish
                ...
            save_results(run.results(), "backlinks.jsonl")  # in input order
            print(run.summary)

Comments come from a WordPress export (:func:`read_wxr`), a Blogger export (classic or
Google Takeout, :func:`read_blogger`), a Movable Type or TypePad export
(:func:`read_movable_type`), CSV (:func:`read_csv`) or JSON Lines (:func:`read_jsonl`),
streamed. A comment that carries the original plugin's
``cl_data`` keeps that backlink (``chosen="historical"``); the others are grouped by site and
each site is looked up once. :func:`write_wxr` writes a copy of the export with the results
added as comment meta. ``commentluv backfill`` is the command-line face of all this.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from .blogger import read_blogger
from .engine import BackfillRun, backfill
from .models import (
    MAX_PER_HOST,
    RECORD_FIELDS,
    AsOf,
    BackfillOptions,
    BackfillResult,
    Chosen,
    Comment,
    Fallback,
    Outcome,
    Progress,
    Summary,
)
from .movabletype import read_movable_type
from .readers import Columns, InputError, InputFormat, detect_format, read_csv, read_jsonl
from .state import StateInfo, StateMismatch, read_state_info
from .writers import OutputFormat, output_format_for, save_results, write_results
from .wxr import META_KEY, read_wxr, write_wxr

__all__ = [
    "MAX_PER_HOST",
    "META_KEY",
    "RECORD_FIELDS",
    "AsOf",
    "BackfillOptions",
    "BackfillResult",
    "BackfillRun",
    "Chosen",
    "Columns",
    "Comment",
    "Fallback",
    "InputError",
    "InputFormat",
    "Outcome",
    "OutputFormat",
    "Progress",
    "StateInfo",
    "StateMismatch",
    "Summary",
    "backfill",
    "detect_format",
    "output_format_for",
    "read_blogger",
    "read_comments",
    "read_csv",
    "read_jsonl",
    "read_movable_type",
    "read_state_info",
    "read_wxr",
    "save_results",
    "write_results",
    "write_wxr",
]


def read_comments(
    path: str | os.PathLike[str],
    fmt: InputFormat | None = None,
    columns: Columns | None = None,
) -> Iterator[Comment]:
    """The comments of the file at ``path`` in the format ``fmt`` (default: the one its
    name says, see :func:`detect_format`); ``columns`` is for CSV only."""
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        return read_csv(path, columns)
    return _READERS[fmt](path)


_READERS: dict[str, Callable[[str | os.PathLike[str]], Iterator[Comment]]] = {
    "wxr": read_wxr,
    "blogger": read_blogger,
    "mt": read_movable_type,
    "jsonl": read_jsonl,
}
