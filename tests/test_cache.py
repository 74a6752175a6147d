import threading

from commentluv.cache import Cache, MemoryCache


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
