"""A backfill's progress in one SQLite file: the comments read, the sites left, the results.

Each finished site's results are written in the same transaction as the mark that the site
is done, and yielded only after it, so a crash or a kill loses at most the sites in flight,
and a resumed run redoes no finished site. The file is private to one run at a time and
touched from one thread (the one iterating the run); lookups run elsewhere and hand their
answers back.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .models import BackfillResult, Comment

__all__ = ["StateFile", "StateInfo", "StateMismatch", "read_state_info"]

_FORMAT = "1"  # the schema's version: a file of another version is started afresh
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS comments (seq INTEGER PRIMARY KEY, site TEXT, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS comments_site ON comments (site)",
    "CREATE TABLE IF NOT EXISTS sites (site TEXT PRIMARY KEY, host TEXT NOT NULL,"
    " done INTEGER NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)",
)
_TABLES = ("meta", "comments", "sites", "results")


class StateMismatch(ValueError):
    """A resumed run's input or options are not those the state file was made with."""


@dataclass(frozen=True)
class StateInfo:
    """What a state file holds: whether the input was read whole, the counts so far."""

    loaded: bool
    comments: int
    results: int
    sites: int
    sites_done: int


def read_state_info(path: str | os.PathLike[str]) -> StateInfo | None:
    """The progress recorded in the state file at ``path``, or None when there is none."""
    if not Path(path).is_file():
        return None
    with StateFile.opened(Path(path)) as state:
        return state.info()


class StateFile:
    """The state file of one run (see the module docs); the engine is its only user."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Autocommit: transactions are explicit (see transaction()).
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a crash of the process; only power loss can undo the
        # last transactions, and a resume then redoes those sites.
        self.db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self.db.execute(statement)

    @classmethod
    @contextmanager
    def opened(cls, path: Path) -> Iterator[StateFile]:
        state = cls(path)
        try:
            yield state
        finally:
            state.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # The run's identity and the reading of the input

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def start(self, identity: dict[str, Any], *, resume: bool) -> bool:
        """Make the file ready for the run ``identity``; True when the input is already read
        (a resumed run), False when it must be read (the file was emptied)."""
        wanted = json.dumps({"format": _FORMAT, **identity}, sort_keys=True)
        recorded = self.meta("identity")
        if resume and recorded is not None and self.meta("loaded") == "1":
            if recorded != wanted:
                raise StateMismatch(
                    "the state file was made for another input or other options"
                    f" ({self.path}); run without --resume to start afresh"
                )
            return True
        with self.transaction():
            for table in _TABLES:
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
            self.db.execute("INSERT INTO meta VALUES ('identity', ?)", (wanted,))
        return False

    def add_comments(
        self, rows: Iterable[tuple[int, Comment, str | None, BackfillResult | None]]
    ) -> None:
        """Record read comments: (index, comment, site to look up, result known already)."""
        comments, sites, results = [], {}, []
        for index, comment, site, result in rows:
            comments.append((index, site, json.dumps(comment.to_dict())))
            if site is not None:
                sites[site] = urlsplit(site).netloc
            if result is not None:
                results.append(_result_row(result))
        with self.transaction():
            self.db.executemany("INSERT INTO comments VALUES (?, ?, ?)", comments)
            self.db.executemany(
                "INSERT OR IGNORE INTO sites (site, host) VALUES (?, ?)", sites.items()
            )
            self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)", results)

    def finish_loading(self) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('loaded', '1')")

    # Sites

    def pending_sites(self) -> Iterator[tuple[str, str]]:
        """(site, host) of every site not done yet, in the order they were first seen."""
        yield from self.db.execute("SELECT site, host FROM sites WHERE done = 0 ORDER BY rowid")

    def comments_of(self, site: str) -> Iterator[tuple[int, Comment]]:
        rows = self.db.execute(
            "SELECT seq, data FROM comments WHERE site = ? ORDER BY seq", (site,)
        )
        for seq, data in rows:
            yield seq, Comment.from_dict(json.loads(data))

    def finish_sites(self, finished: Iterable[tuple[str, list[BackfillResult], bool]]) -> None:
        """Store each (site, its results, whether they came from the cache) and mark the
        sites done, in one transaction."""
        with self.transaction():
            for site, results, cached in finished:
                self.db.executemany(
                    "INSERT OR REPLACE INTO results VALUES (?, ?)", map(_result_row, results)
                )
                self.db.execute(
                    "UPDATE sites SET done = 1, cached = ? WHERE site = ?", (int(cached), site)
                )

    def results(self) -> Iterator[BackfillResult]:
        """Every result so far, in input order."""
        for seq, data in self.db.execute("SELECT seq, data FROM results ORDER BY seq"):
            yield BackfillResult.from_record(seq, json.loads(data))

    def info(self) -> StateInfo:
        def count(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        return StateInfo(
            loaded=self.meta("loaded") == "1",
            comments=count("SELECT count(*) FROM comments"),
            results=count("SELECT count(*) FROM results"),
            sites=count("SELECT count(*) FROM sites"),
            sites_done=count("SELECT count(*) FROM sites WHERE done = 1"),
        )


def _result_row(result: BackfillResult) -> tuple[int, str]:
    return result.index, json.dumps(result.to_record(), ensure_ascii=False)
