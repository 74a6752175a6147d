"""Real cache backends for the tests: a redis-server of their own (the fixtures
``redis_server`` and ``doomed_redis`` are in conftest.py) and :func:`open_backend`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from commentluv.cache import MemoryCache
from commentluv.cache.sqlite import SQLiteCache

REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """A throwaway redis-server on a free port, data in a temporary folder only."""

    def __init__(self, folder: Path) -> None:
        if REDIS_SERVER is None:
            pytest.skip(
                "no redis-server binary on PATH (CI installs it: apt-get install redis-server)"
            )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def open_backend(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[Any]:
    """A ``memory``, ``sqlite`` (a file in ``folder``) or ``redis`` cache (the session's
    server, keys under a prefix of the test's own), closed afterwards."""
    if kind == "memory":
        yield MemoryCache()
        return
    if kind == "sqlite":
        cache: Any = SQLiteCache(folder / "cache.sqlite3")
    else:
        # Imported here: the redis package is an extra, and the core-only run in CI loads
        # this module (through conftest.py) without it.
        from commentluv.cache.redis import RedisCache

        cache = RedisCache(request.getfixturevalue("redis_server").url, prefix=f"{folder.name}:")
    try:
        yield cache
    finally:
        cache.close()
