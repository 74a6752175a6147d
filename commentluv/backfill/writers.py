"""The results as JSON Lines or CSV, and files written whole or not at all."""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

from .models import RECORD_FIELDS, BackfillResult

__all__ = ["OutputFormat", "atomic_file", "output_format_for", "save_results", "write_results"]

OutputFormat = Literal["jsonl", "csv"]


def output_format_for(path: str | os.PathLike[str]) -> OutputFormat:
    """``csv`` for a ``.csv`` file name, else ``jsonl``."""
    return "csv" if Path(path).suffix.lower() == ".csv" else "jsonl"


def write_results(results: Iterable[BackfillResult], out: TextIO, fmt: OutputFormat) -> int:
    """Write one record per result (fields :data:`RECORD_FIELDS`); returns the count.

    CSV leaves missing values empty and writes ``cached`` as ``true``/``false``; a text cell
    that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or CR first:
    titles and names are strangers') gets a leading ``'``.
    """
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(RECORD_FIELDS)
        for result in results:
            writer.writerow(_csv_cell(value) for value in result.to_record().values())
            count += 1
        return count
    for result in results:
        out.write(json.dumps(result.to_record(), ensure_ascii=False) + "\n")
        count += 1
    return count


def save_results(
    results: Iterable[BackfillResult],
    path: str | os.PathLike[str],
    fmt: OutputFormat | None = None,
) -> int:
    """:func:`write_results` into the file at ``path``, atomically (see :func:`atomic_file`);
    the format defaults to the one the name says."""
    with atomic_file(path) as out:
        return write_results(results, out, fmt or output_format_for(path))


@overload
def atomic_file(
    path: str | os.PathLike[str], *, binary: Literal[False] = False
) -> AbstractContextManager[TextIO]: ...
@overload
def atomic_file(
    path: str | os.PathLike[str], *, binary: Literal[True]
) -> AbstractContextManager[BinaryIO]: ...
def atomic_file(path: str | os.PathLike[str], *, binary: bool = False) -> Any:
    """A context manager giving a new file that replaces ``path`` only once the block ends
    without an error: a reader (or a crash, or a kill) never sees half of it."""
    return _atomic(Path(path), binary)


@contextmanager
def _atomic(path: Path, binary: bool) -> Iterator[IO[Any]]:
    # Beside the target (a rename within one file system is atomic); opened with plain
    # open() so the file gets the usual permissions.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with (
            open(temporary, "xb") if binary else open(temporary, "x", encoding="utf-8", newline="")
        ) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value  # shown as text by Excel, LibreOffice and Sheets, never evaluated
    return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
