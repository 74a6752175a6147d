"""The SQLite cache's connections (one per thread) close once, whichever comes first: the
cache's close() or the end of the thread that opened one. Both at once closed one connection
twice, concurrently, and crashed Python 3.10 ("Fatal Python error: Aborted" in .ci/run's core
suite, a bus error here): hence a child process."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

RACE = r"""
import pathlib, sys, tempfile, threading
sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows up
from commentluv.cache.sqlite import SQLiteCache

folder = pathlib.Path(tempfile.mkdtemp())
for n in range(100):
    cache = SQLiteCache(folder / f"c{n}.sqlite3")
    opened, ended = threading.Barrier(33), threading.Event()

    def use_and_end():
        cache.get("k")  # opens this thread's connection
        opened.wait()
        ended.wait()

    threads = [threading.Thread(target=use_and_end) for _ in range(32)]
    for thread in threads:
        thread.start()
    opened.wait()  # every thread has its connection and is done with it
    ended.set()  # the threads end (their connections' finalizers run) while...
    cache.close()  # ...the cache closes every thread's connection
    for thread in threads:
        thread.join()
print("closed 3200 connections")
"""


def test_closing_the_cache_while_its_threads_end_does_not_crash():
    result = subprocess.run(
        [sys.executable, "-c", RACE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.strip() == "closed 3200 connections"
