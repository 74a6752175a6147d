"""Backfill: backlinks for the comments a blog brings from its old engine.

Comments come from a WordPress export (:func:`read_wxr`), CSV (:func:`read_csv`) or JSON
Lines (:func:`read_jsonl`), streamed; results are written as JSON Lines or CSV
(:func:`save_results`) and into a copy of the export (:func:`write_wxr`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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
from .readers import Columns, InputError, InputFormat, detect_format, read_csv, read_jsonl
from .writers import OutputFormat, output_format_for, save_results, write_results
from .wxr import META_KEY, read_wxr, write_wxr

__all__ = [
    "MAX_PER_HOST",
    "META_KEY",
    "RECORD_FIELDS",
    "AsOf",
    "BackfillOptions",
    "BackfillResult",
    "Chosen",
    "Columns",
    "Comment",
    "Fallback",
    "InputError",
    "InputFormat",
    "Outcome",
    "OutputFormat",
    "Progress",
    "Summary",
    "detect_format",
    "output_format_for",
    "read_comments",
    "read_csv",
    "read_jsonl",
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
    if fmt == "wxr":
        return read_wxr(path)
    if fmt == "csv":
        return read_csv(path, columns)
    return read_jsonl(path)
