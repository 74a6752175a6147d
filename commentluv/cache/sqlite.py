"""A cache in one SQLite file: survives restarts, shared by the processes and threads of a box.

Standard library only. WAL mode lets readers run while one process writes; a busy timeout
waits briefly for a writer instead of failing. Each thread (and each forked process) gets its
own connection. A file that is corrupt, locked for too long or unwritable gives logged misses,
never an error.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ._support import FailSafe, dumps, loads

__all__ = ["SQLiteCache"]

# ``stored`` orders eviction when the file is over its size limit: oldest writes go first.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache_entries (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
    " expires REAL NOT NULL, stored REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS cache_entries_by_age ON cache_entries (stored)",
    # The indexes of IndexCache: members by due time, each with its count.
    "CREATE TABLE IF NOT EXISTS index_members (name TEXT NOT NULL, member TEXT NOT NULL,"
    " due REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (name, member)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS index_members_by_due ON index_members (name, due)",
    "DROP TABLE IF EXISTS entries",  # the first layout, without ``stored``
)
# Expired rows are deleted, and the size limit enforced, on opening and every this many writes.
_PURGE_EVERY = 256


class SQLiteCache:
    """A cache stored in the SQLite file at ``path`` (its folder is created if missing).

    ``busy_timeout`` bounds the wait for another writer, in seconds; ``retry_after`` is how
    long the file is left alone after a failure. Expiry uses ``clock`` (wall-clock time, so
    that every process agrees). ``max_bytes`` bounds the data in the file: past it the oldest
    entries are evicted (checked on opening and every 256 writes, so it may be exceeded by
    up to that many writes in between).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 1.0,
        retry_after: float = 5.0,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.busy_timeout = busy_timeout
        self._clock = clock
        self._local = threading.local()
        self._opened: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        # Threads open their connections one at a time: SQLite answers "database is locked"
        # at once, without waiting, to two connections switching a new file to WAL together.
        self._opening = threading.Lock()
        self._writes = 0
        self._safe = FailSafe(
            f"SQLite ({self.path})", (sqlite3.Error, OSError), retry_after=retry_after
        )

    def get(self, key: str) -> Any | None:
        def read() -> Any | None:
            row = (
                self._db()
                .execute(
                    "SELECT value FROM cache_entries WHERE key = ? AND expires > ?",
                    (key, self._clock()),
                )
                .fetchone()
            )
            return None if row is None else loads(row[0])

        return self._safe.run(read, None)

    def set(self, key: str, value: Any, ttl: float) -> None:
        def write() -> None:
            now = self._clock()
            self._db().execute(
                "INSERT OR REPLACE INTO cache_entries VALUES (?, ?, ?, ?)",
                (key, dumps(value), now + ttl, now),
            )
            self._count_write()

        self._safe.run(write, None)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        def insert() -> bool:
            now = self._clock()
            # One statement, so atomic across processes: insert, or take over an expired row.
            cursor = self._db().execute(
                "INSERT INTO cache_entries VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value, expires = excluded.expires, stored = excluded.stored"
                " WHERE expires <= ?",
                (key, dumps(value), now + ttl, now, now),
            )
            return cursor.rowcount == 1

        return self._safe.run(insert, True)

    def delete(self, key: str) -> None:
        self._run("DELETE FROM cache_entries WHERE key = ?", (key,))

    def index_set(self, index: str, member: str, due: float) -> None:
        self._run("INSERT OR REPLACE INTO index_members VALUES (?, ?, ?, 0)", (index, member, due))

    def index_remove(self, index: str, member: str) -> None:
        self._run("DELETE FROM index_members WHERE name = ? AND member = ?", (index, member))

    def index_count(self, index: str, counts: Mapping[str, int]) -> None:
        def add() -> None:
            db = self._db()
            db.execute("BEGIN")  # one transaction for the batch, not one per member
            try:
                db.executemany(
                    "UPDATE index_members SET count = count + ? WHERE name = ? AND member = ?",
                    [(count, index, member) for member, count in counts.items()],
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

        self._safe.run(add, None)

    def index_due(self, index: str, before: float, limit: int) -> list[str]:
        def due() -> list[str]:
            rows = self._db().execute(
                "SELECT member FROM index_members WHERE name = ? AND due < ? AND count > 0"
                " ORDER BY count DESC, member DESC LIMIT ?",
                (index, before, limit),
            )
            return [member for (member,) in rows]

        return self._safe.run(due, [])

    def index_prune(self, index: str, before: float) -> int:
        return self._run("DELETE FROM index_members WHERE name = ? AND due < ?", (index, before))

    def purge(self) -> int:
        """Delete expired rows now; returns how many went (0 when the file is unusable)."""
        return self._safe.run(lambda: self._purge(self._db()), 0)

    def close(self) -> None:
        """Close the connections of every thread (the cache reopens on next use)."""
        for opened in list(self._opened):
            opened.close()
        self._local = threading.local()

    def _run(self, statement: str, parameters: tuple[Any, ...]) -> int:
        """One write statement; the rows it changed (0 when the file is unusable)."""
        return self._safe.run(lambda: self._db().execute(statement, parameters).rowcount, 0)

    def _db(self) -> sqlite3.Connection:
        opened: _ThreadConnection | None = getattr(self._local, "db", None)
        if opened is not None and opened.pid == os.getpid():
            return opened.connection
        # None yet in this thread, or inherited through fork (never share one across processes).
        with self._opening:
            connection = self._connect()
        self._local.db = opened = _ThreadConnection(connection)
        self._opened.add(opened)
        return connection

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): every statement is its own short transaction.
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                connection.execute(statement)
            self._purge(connection)
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _purge(self, connection: sqlite3.Connection) -> int:
        """Delete expired rows, then the oldest ones while the data is over ``max_bytes``."""
        removed = connection.execute(
            "DELETE FROM cache_entries WHERE expires <= ?", (self._clock(),)
        ).rowcount
        while self._used_bytes(connection) > self.max_bytes:
            # A tenth of the rows at a time: few passes, and no scan of sizes per row.
            evicted = connection.execute(
                "DELETE FROM cache_entries WHERE key IN (SELECT key FROM cache_entries"
                " ORDER BY stored LIMIT max(1, (SELECT count(*) FROM cache_entries) / 10))"
            ).rowcount
            if not evicted:
                break
            removed += evicted
        return removed

    @staticmethod
    def _used_bytes(connection: sqlite3.Connection) -> int:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def _count_write(self) -> None:
        self._writes += 1  # a race only shifts when the next purge happens
        if self._writes % _PURGE_EVERY == 0:
            self._purge(self._db())


class _ThreadConnection:
    """One thread's connection, closed when that thread ends and its thread-local goes."""

    __slots__ = ("__weakref__", "_closing", "connection", "pid")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.pid = os.getpid()
        self._closing = threading.Lock()

    def close(self) -> None:
        # One close at a time: the cache's close() and the end of the owning thread can reach
        # one connection together, and two concurrent closes crash the sqlite3 module.
        with self._closing:
            self.connection.close()

    def __del__(self) -> None:
        # A connection inherited through fork is abandoned, never closed: SQLite's advice.
        if self.pid == os.getpid():
            self.close()
