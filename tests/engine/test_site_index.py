"""The index capability (IndexCache) of each backend against real storage (the memory cache,
a SQLite file, a redis-server on 127.0.0.1), and the store's index of sites on each."""

from __future__ import annotations

import sqlite3

import pytest

from commentluv import Freshness, NotFound, Post
from commentluv._engine.queue import INDEX, RefreshQueue
from commentluv._engine.store import SiteStore
from commentluv.cache import IndexCache, MemoryCache
from commentluv.cache.redis import RedisCache
from commentluv.cache.sqlite import SQLiteCache
from tests.support.caches import open_backend

NOW = 1_800_000_000.0


@pytest.fixture(params=["memory", "sqlite", "redis"])
def indexed(request, tmp_path):
    with open_backend(request.param, request, tmp_path) as cache:
        yield cache


def test_due_members_come_most_counted_first_and_uncounted_ones_not_at_all(indexed):
    assert isinstance(indexed, IndexCache)
    for number, due in enumerate([NOW + 10, NOW + 20, NOW + 30, NOW + 40, NOW + 500]):
        indexed.index_set("sites", f"s{number}", due)
    indexed.index_count("sites", {"s0": 1, "s1": 5, "s2": 3, "s4": 9})
    indexed.index_count("sites", {"s0": 1, "unknown": 7})  # counts add up; strangers ignored
    # s3 was never read, s4 is not due yet.
    assert indexed.index_due("sites", NOW + 100, 10) == ["s1", "s2", "s0"]
    assert indexed.index_due("sites", NOW + 100, 2) == ["s1", "s2"]
    assert indexed.index_due("sites", NOW + 20, 10) == ["s0"]  # due strictly before
    assert indexed.index_due("other", NOW + 100, 10) == []


def test_ties_put_the_later_member_name_first(indexed):
    for member in ("a", "c", "b"):
        indexed.index_set("sites", member, NOW)
    indexed.index_count("sites", {"a": 2, "b": 2, "c": 1})
    assert indexed.index_due("sites", NOW + 1, 10) == ["b", "a", "c"]


def test_filing_again_moves_the_due_time_and_resets_the_count(indexed):
    indexed.index_set("sites", "s", NOW)
    indexed.index_count("sites", {"s": 4})
    indexed.index_set("sites", "s", NOW + 3600)
    assert indexed.index_due("sites", NOW + 60, 10) == []
    indexed.index_count("sites", {"s": 1})
    assert indexed.index_due("sites", NOW + 3601, 10) == ["s"]


def test_removed_and_pruned_members_are_gone(indexed):
    for number in range(4):
        indexed.index_set("sites", f"s{number}", NOW + number)
    indexed.index_count("sites", {f"s{number}": 1 for number in range(4)})
    indexed.index_remove("sites", "s3")
    indexed.index_remove("sites", "never-filed")
    assert indexed.index_prune("sites", NOW + 2) == 2
    assert indexed.index_due("sites", NOW + 100, 10) == ["s2"]
    indexed.index_count("sites", {"s0": 1})  # pruned: no longer counted
    assert indexed.index_due("sites", NOW + 100, 10) == ["s2"]


def test_the_memory_index_keeps_the_latest_due_members_when_over_its_size():
    cache = MemoryCache(maxsize=10)
    for number in range(21):  # past twice maxsize: trimmed to the 10 latest due
        cache.index_set("sites", f"s{number:02d}", NOW + number)
    cache.index_count("sites", {f"s{number:02d}": 1 for number in range(21)})
    assert sorted(cache.index_due("sites", NOW + 100, 100)) == [
        f"s{number:02d}" for number in range(11, 21)
    ]


def test_the_sqlite_index_is_shared_by_every_connection_to_the_file(tmp_path):
    path = tmp_path / "cache.sqlite3"
    writer, reader = SQLiteCache(path), SQLiteCache(path)
    writer.index_set("sites", "https://a.example/", NOW)
    writer.index_count("sites", {"https://a.example/": 2})
    assert reader.index_due("sites", NOW + 1, 10) == ["https://a.example/"]
    with sqlite3.connect(path) as db:
        plan = " ".join(
            str(row)
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT member FROM index_members WHERE name = ? AND due < ?",
                ("sites", NOW),
            )
        )
    assert "index_members_by_due" in plan  # a range scan, not the whole table
    writer.close()
    reader.close()


def test_an_unusable_sqlite_file_gives_an_empty_index(tmp_path, caplog):
    folder = tmp_path / "not-a-file"
    folder.mkdir()
    cache = SQLiteCache(folder)  # a folder: every statement fails
    cache.index_set("sites", "s", NOW)
    assert cache.index_due("sites", NOW + 1, 10) == []
    assert cache.index_prune("sites", NOW + 1) == 0
    assert "cache unavailable" in caplog.text


def test_the_redis_index_is_two_sorted_sets_under_the_prefix(redis_server):
    cache = RedisCache(redis_server.url, prefix="app9:")
    cache.index_set("commentluv:index", "https://a.example/", NOW)
    cache.index_count("commentluv:index", {"https://a.example/": 3})
    assert cache.redis.zscore("app9:commentluv:index:due", "https://a.example/") == NOW
    assert cache.redis.zscore("app9:commentluv:index:count", "https://a.example/") == 3
    assert cache.index_due("commentluv:index", NOW + 1, 5) == ["https://a.example/"]
    assert not cache.redis.exists("app9:commentluv:index:pick")  # the scratch set is dropped
    cache.close()


def test_a_redis_that_is_down_gives_an_empty_index(doomed_redis):
    cache = RedisCache(doomed_redis.url)
    doomed_redis.stop()
    cache.index_set("sites", "s", NOW)
    cache.index_count("sites", {"s": 1})
    assert cache.index_due("sites", NOW + 1, 10) == []
    assert cache.index_prune("sites", NOW + 1) == 0


# The store's index of sites


class Clock:
    now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(indexed):
    freshness, clock = Freshness(posts_ttl=600, stale_ttl=600, feed_ttl=0), Clock()
    return SiteStore(indexed, freshness, clock, queue=RefreshQueue(indexed, freshness, clock))


def write(store, site):
    post = Post("t", f"{site}p/", None, f"{site}feed/", site)
    return store.write_posts(site, post.feed_url, [post], etag=None, last_modified=None)


def test_the_store_files_each_written_site_by_when_it_goes_stale(store):
    write(store, "https://a.example/")
    write(store, "https://b.example/")
    for _ in range(3):
        store.queue.count_view("https://b.example/")
    store.queue.count_view("https://a.example/")
    store.queue.flush_views()
    assert store.queue.due(599, 10) == []  # fresh for 600 s
    assert store.queue.due(601, 10) == ["https://b.example/", "https://a.example/"]
    entry = store.read("https://a.example/")
    store.extend("https://a.example/", entry, 3600)  # a 304: fresh for longer, reads reset
    assert store.queue.due(601, 10) == ["https://b.example/"]
    store.write_failure("https://b.example/", NotFound("HTTP 404", status=404))
    assert store.cache.index_due(INDEX, NOW + 10_000, 10) == []  # a failure leaves the index


def test_sites_whose_entries_expired_are_dropped_from_the_index(store):
    write(store, "https://a.example/")
    store.queue.count_view("https://a.example/")
    store.queue.flush_views()
    store.clock.now += 600 + 1200 + 1  # past fresh_until + entry_ttl
    assert store.queue.due(60, 10) == []
    write(store, "https://a.example/")  # filed again, uncounted
    store.queue.count_view("https://a.example/")
    store.queue.flush_views()
    assert store.queue.due(601, 10) == ["https://a.example/"]


def test_a_claim_holds_until_the_site_is_written(store):
    assert store.queue.claim("https://a.example/")
    assert not store.queue.claim("https://a.example/")
    write(store, "https://a.example/")
    assert store.queue.claim("https://a.example/")
    store.queue.release("https://a.example/")
    assert store.queue.claim("https://a.example/")
