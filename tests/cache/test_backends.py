"""Every cache backend against real storage: a SQLite file, a redis-server on 127.0.0.1 that
these tests start, and Django's locmem cache."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from commentluv import CommentLuv
from commentluv.cache import AddCache
from commentluv.cache._support import dumps
from commentluv.cache.django import DjangoCache
from commentluv.cache.redis import RedisCache
from commentluv.cache.sqlite import SQLiteCache
from tests.support import FIXTURES
from tests.support.caches import open_backend

HOME = b"<html><head><link rel='alternate' type='application/rss+xml' href='/feed/'></head></html>"
FEED = (FIXTURES / "feeds" / "wordpress_rss2.xml").read_bytes()


@pytest.fixture(scope="session")
def django_settings(django_project):
    return django_project


@pytest.fixture(params=["memory", "sqlite", "redis", "django"])
def backend(request, tmp_path):
    if request.param == "django":
        request.getfixturevalue("django_settings")
        yield DjangoCache()
        return
    with open_backend(request.param, request, tmp_path) as cache:
        yield cache


def test_get_set_delete(backend):
    entry = {"format": 1, "posts": [{"title": "Ünïcode"}], "etag": None, "fresh_until": 1.5}
    backend.set("commentluv:site:https://a.example/", entry, ttl=60)
    assert backend.get("commentluv:site:https://a.example/") == entry
    assert backend.get("commentluv:site:https://b.example/") is None
    backend.delete("commentluv:site:https://a.example/")
    backend.delete("never-set")
    assert backend.get("commentluv:site:https://a.example/") is None


def test_entries_expire(backend):
    backend.set("short", 1, ttl=0.1)
    backend.set("long", 2, ttl=60)
    time.sleep(0.15)
    assert backend.get("short") is None
    assert backend.get("long") == 2


def test_add_is_set_if_absent(backend):
    assert isinstance(backend, AddCache)
    assert backend.add("lock", 1, ttl=0.1) is True
    assert backend.add("lock", 2, ttl=60) is False
    assert backend.get("lock") == 1
    time.sleep(0.15)
    assert backend.add("lock", 3, ttl=60) is True
    assert backend.get("lock") == 3


def test_long_keys_work(backend):
    key = "commentluv:site:https://a.example/" + "x" * 2000
    backend.set(key, "v", ttl=60)
    assert backend.get(key) == "v"


# SQLite


def test_sqlite_survives_a_restart_and_purges_expired_rows(tmp_path):
    now = [1_800_000_000.0]
    path = tmp_path / "deep" / "cache.sqlite3"
    first = SQLiteCache(path, clock=lambda: now[0])
    first.set("kept", {"a": 1}, ttl=100)
    first.set("gone", {"b": 2}, ttl=10)
    first.close()
    now[0] += 50
    second = SQLiteCache(path, clock=lambda: now[0])
    assert second.get("kept") == {"a": 1}
    assert second.get("gone") is None
    with sqlite3.connect(path) as db:  # opening purged the expired row from the file
        assert [row[0] for row in db.execute("SELECT key FROM cache_entries")] == ["kept"]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    now[0] += 100
    assert second.purge() == 1
    second.close()


def test_sqlite_corrupt_file_gives_logged_misses(tmp_path, caplog):
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = SQLiteCache(path)
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        assert cache.get("k") is None
        cache.set("k", 1, ttl=60)
        assert cache.add("k", 1, ttl=60) is True  # no lock to wait for
    assert "SQLite" in caplog.text and "cache unavailable" in caplog.text
    assert path.read_bytes().startswith(b"this is not a database")


def test_sqlite_unwritable_location_gives_logged_misses(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = SQLiteCache(blocker / "commentluv" / "cache.sqlite3")  # even root cannot mkdir here
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        cache.set("k", 1, ttl=60)
        assert cache.get("k") is None
    assert "cache unavailable" in caplog.text


def test_sqlite_path_that_is_a_folder_gives_logged_misses(tmp_path, caplog):
    cache = SQLiteCache(tmp_path)  # a directory cannot be opened as a database
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        cache.set("k", 1, ttl=60)
        assert cache.get("k") is None
    assert "cache unavailable" in caplog.text


def test_sqlite_locked_file_gives_a_logged_miss(tmp_path, caplog):
    path = tmp_path / "cache.sqlite3"
    cache = SQLiteCache(path, busy_timeout=0.05)
    cache.set("k", 1, ttl=60)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        other = SQLiteCache(path, busy_timeout=0.05)
        with caplog.at_level(logging.WARNING, logger="commentluv"):
            other.set("k", 2, ttl=60)
        assert "locked" in caplog.text
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cache.get("k") == 1


def test_sqlite_threads_share_one_file(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    cache = SQLiteCache(tmp_path / "cache.sqlite3")

    def work(n):
        cache.set(f"k{n}", n, ttl=60)
        return cache.get(f"k{n}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(work, range(64))) == list(range(64))
    cache.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_sqlite_closes_the_connection_of_a_finished_thread(tmp_path):
    path = tmp_path / "cache.sqlite3"
    cache = SQLiteCache(path)

    def handles():
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path))

    threads = [threading.Thread(target=cache.get, args=("k",)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gc.collect()
    assert handles() == 0
    cache.get("k")
    assert handles() == 1
    cache.close()
    assert handles() == 0


# Two processes sharing one backend


CHILD = """
import sys
from commentluv import CommentLuv
from commentluv.cache.redis import RedisCache
from commentluv.cache.sqlite import SQLiteCache

kind, where, prefix, url = sys.argv[1:]
cache = SQLiteCache(where) if kind == "sqlite" else RedisCache(where, prefix=prefix)
print(cache.get("from-parent"))
with CommentLuv(allow_private_hosts=True, cache=cache) as luv:
    print(luv.latest(url).title)
"""


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_two_processes_see_each_others_entries(kind, site, tmp_path, request):
    prefix = f"{tmp_path.name}:"
    if kind == "sqlite":
        where = str(tmp_path / "cache.sqlite3")
        cache = SQLiteCache(where)
    else:
        where = request.getfixturevalue("redis_server").url
        cache = RedisCache(where, prefix=prefix)
    site.add("/", HOME)
    site.add("/feed/", FEED, headers={"Content-Type": "application/rss+xml"})
    cache.set("from-parent", {"hello": "child"}, ttl=60)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, kind, where, prefix, site.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen_by_child, title = child.stdout.splitlines()
    assert seen_by_child == "{'hello': 'child'}"
    assert site.paths() == ["/", "/feed/"]
    with CommentLuv(allow_private_hosts=True, cache=cache) as luv:
        assert luv.latest(site.url).title == title  # the child's entry: no request
    assert site.paths() == ["/", "/feed/"]


# Redis


def test_redis_stores_versioned_json_with_a_redis_ttl(redis_server):
    cache = RedisCache(redis_server.url, prefix="app1:")
    cache.set("k", {"a": [1, "é"]}, ttl=30)
    raw = cache.redis.get("app1:k")
    assert raw == dumps({"a": [1, "é"]})
    assert 29_000 < cache.redis.pttl("app1:k") <= 30_000
    assert RedisCache(redis_server.url, prefix="app2:").get("k") is None


def test_a_stopped_redis_does_not_break_lookups(site, doomed_redis, caplog):
    server = doomed_redis
    site.add("/", HOME)
    site.add("/feed/", FEED, headers={"Content-Type": "application/rss+xml"})
    cache = RedisCache(server.url, retry_after=60)
    cache.set("probe", 1, ttl=60)
    assert cache.get("probe") == 1
    server.stop()
    luv = CommentLuv(allow_private_hosts=True, cache=cache)
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        started = time.monotonic()
        first = luv.latest(site.url)
        assert luv.latest(site.url) == first  # no cache: looked up again
        elapsed = time.monotonic() - started
    assert site.paths() == ["/", "/feed/", "/", "/feed/"]
    assert "Redis cache unavailable" in caplog.text
    assert caplog.text.count("Redis cache unavailable") == 1  # then left alone: no hammering
    assert elapsed < 2
    luv.close()


# Django


def test_django_adapter_uses_the_configured_cache(django_settings):
    from django.core.cache import caches

    cache = DjangoCache("default")
    key = "commentluv:site:https://a.example/" + "x" * 300
    cache.set(key, {"a": 1}, ttl=60)
    assert cache.get(key) == {"a": 1}
    short = "commentluv:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    # The long key was shortened for backends such as memcached (250 bytes at most).
    assert caches["default"].get(short) == {"a": 1}


def test_django_backend_failures_are_logged_misses(django_settings, caplog):
    cache = DjangoCache("down")
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        cache.set("k", {"a": 1}, ttl=60)
        assert cache.get("k") is None
        assert cache.add("lock", True, ttl=5) is True
        cache.delete("k")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # then the backend is left alone for retry_after
    assert "Django (down) cache unavailable" in warnings[0].getMessage()


def test_redis_keys_carry_the_client_namespace_once(redis_server, site):
    site.add("/", HOME)
    site.add("/feed/", FEED, headers={"Content-Type": "application/rss+xml"})
    cache = RedisCache(redis_server.url)
    with CommentLuv(allow_private_hosts=True, cache=cache) as luv:
        luv.latest(site.url)
    keys = {key.decode() for key in cache.redis.keys(f"*{site.url}*")}
    assert keys == {f"commentluv:site:{site.url}/"}
    cache.redis.delete(*keys)


def test_sqlite_threads_opening_a_new_file_together_get_no_lock_error(tmp_path, caplog):
    # Before connections were opened one at a time, about 1 file in 15 gave a thread
    # "database is locked" (16 threads switching a new file to WAL together).
    for trial in range(30):
        cache = SQLiteCache(tmp_path / f"new-{trial}.sqlite3")
        start = threading.Barrier(16)

        def write(n, cache=cache, start=start):
            start.wait()
            cache.get("probe")
            cache.set(f"k{n}", n, ttl=60)
            return cache.get(f"k{n}")

        with (
            caplog.at_level(logging.WARNING, logger="commentluv"),
            ThreadPoolExecutor(max_workers=16) as pool,
        ):
            assert list(pool.map(write, range(16))) == list(range(16))
        cache.close()
    assert "unavailable" not in caplog.text


def test_sqlite_evicts_the_oldest_entries_past_its_size_limit(tmp_path):
    clock = [1_800_000_000.0]
    cache = SQLiteCache(tmp_path / "small.sqlite3", max_bytes=512 * 1024, clock=lambda: clock[0])
    for i in range(2_000):  # 2,000 x 2 KB: 4 MB written into a 512 KB budget
        clock[0] += 1
        cache.set(f"k{i}", "x" * 2_000, ttl=3 * 24 * 3600)
    cache.purge()
    db = sqlite3.connect(tmp_path / "small.sqlite3")
    rows = db.execute("SELECT count(*), sum(length(value)) FROM cache_entries").fetchone()
    assert rows[1] <= 512 * 1024 + _PURGE_EVERY_BYTES
    assert cache.get("k1999") is not None and cache.get("k0") is None  # the oldest went first
    db.close()
    cache.close()


_PURGE_EVERY_BYTES = 256 * 2_100  # writes between two checks may overshoot the limit
