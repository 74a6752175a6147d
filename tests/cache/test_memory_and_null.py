import json
import logging
import threading

import pytest

from commentluv.cache import AddCache, Cache, MemoryCache, NullCache
from commentluv.cache._support import FailSafe, dumps, loads


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_memory_cache_implements_the_interface():
    assert isinstance(MemoryCache(), Cache)


def test_entries_expire_after_their_own_ttl():
    clock = FakeClock()
    cache = MemoryCache(timer=clock)
    cache.set("short", 1, ttl=10)
    cache.set("long", 2, ttl=100)
    clock.now += 11
    assert cache.get("short") is None
    assert cache.get("long") == 2
    clock.now += 90
    assert cache.get("long") is None


def test_delete_and_missing_keys():
    cache = MemoryCache()
    cache.set("k", {"a": 1}, ttl=60)
    assert cache.get("k") == {"a": 1}
    cache.delete("k")
    cache.delete("never-set")
    assert cache.get("k") is None


def test_size_is_bounded():
    cache = MemoryCache(maxsize=3)
    for i in range(10):
        cache.set(f"k{i}", i, ttl=60)
    assert len(cache) == 3
    assert cache.get("k9") == 9


def test_threads_can_share_one_cache():
    cache = MemoryCache(maxsize=500)
    errors = []

    def worker(n):
        try:
            for i in range(2000):
                cache.set(f"{n}-{i % 300}", i, ttl=60)
                cache.get(f"{(n + 1) % 8}-{i % 300}")
                if i % 7 == 0:
                    cache.delete(f"{n}-{i % 300}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 500


def test_add_stores_only_when_absent_or_expired():
    clock = FakeClock()
    cache = MemoryCache(timer=clock)
    assert cache.add("lock", 1, ttl=10) is True
    assert cache.add("lock", 2, ttl=10) is False
    assert cache.get("lock") == 1
    clock.now += 11
    assert cache.add("lock", 3, ttl=10) is True
    assert cache.get("lock") == 3


def test_null_cache_keeps_nothing():
    cache = NullCache()
    assert isinstance(cache, Cache) and not isinstance(cache, AddCache)
    cache.set("k", {"a": 1}, ttl=60)
    assert cache.get("k") is None


def test_json_round_trip_and_foreign_values_read_as_misses(caplog):
    # One version number per record: the store's "format" (see test_store.py), no envelope.
    value = {"posts": [{"title": "é"}], "n": 1.5, "none": None}
    assert loads(dumps(value)) == value
    assert json.loads(dumps(value)) == value
    assert loads(b"\x80\x04\x95pickle") is None
    assert "undecodable" in caplog.text
    assert loads(None) is None


def test_fail_safe_turns_errors_into_fallbacks_and_backs_off(caplog):
    clock = FakeClock()
    safe = FailSafe("Test", (ConnectionError,), retry_after=5, clock=clock)
    calls = []

    def broken():
        calls.append(1)
        raise ConnectionError("refused")

    with caplog.at_level(logging.WARNING, logger="commentluv"):
        assert safe.run(broken, "fallback") == "fallback"
    assert "Test cache unavailable" in caplog.text
    assert safe.run(lambda: "ok", "fallback") == "fallback"  # still backing off
    assert calls == [1]
    clock.now += 5
    assert safe.run(lambda: "ok", "fallback") == "ok"
    with pytest.raises(ValueError, match="not a backend error"):
        safe.run(lambda: int("not a backend error"), None)


def test_the_memory_cache_is_bounded_by_bytes_too():
    cache = MemoryCache(maxsize=1000, max_bytes=10_000)
    for i in range(50):
        cache.set(f"k{i}", "x" * 1000, ttl=60)
    assert 5 <= len(cache) <= 10  # about 1 KB each: no more than 10 fit
    assert cache.get("k49") == "x" * 1000 and cache.get("k0") is None
    cache.set("k49", "y" * 20_000, ttl=60)  # larger than the whole cache: not kept...
    assert cache.get("k49") is None  # ...and the old value is gone too, not served stale
