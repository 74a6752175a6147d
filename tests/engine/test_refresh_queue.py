"""Refreshes handed to a task queue (``CommentLuv(refresher=...)``): a render never fetches,
one refresh per site is queued at a time across clients sharing a cache, reads are counted
in the process and flushed in batches, and ``claim_due_refreshes`` picks the most read
sites about to go stale. Clients sharing one MemoryCache stand for processes sharing Redis
(the real thing, with Celery, is in test_celery.py)."""

from __future__ import annotations

import logging
import threading

import pytest

from commentluv import CommentLuv, MemoryCache

SITE = "https://jaden.example/"


class Queue:
    """A refresher that records what it is handed (from the client's background thread)."""

    def __init__(self) -> None:
        self.sites: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, site: str) -> None:
        self.sites.append(site)
        self.threads.add(threading.current_thread().name)


class CountedIndex(MemoryCache):
    """A memory cache that counts the writes of read counts to its index."""

    def __init__(self) -> None:
        super().__init__()
        self.count_writes: list[dict[str, int]] = []

    def index_count(self, index, counts):
        self.count_writes.append(dict(counts))
        super().index_count(index, counts)


@pytest.fixture
def shared():
    return CountedIndex()


def web_client(web, clock, cache, queue, **kwargs):
    return CommentLuv(transport=web.transport, clock=clock, cache=cache, refresher=queue, **kwargs)


def worker(web, clock, cache):
    """A client serving the queue, as the Celery integration builds one."""
    client = CommentLuv(transport=web.transport, clock=clock, cache=cache)
    client.join_refresh_queue()
    return client


def test_a_miss_is_queued_once_and_nothing_is_fetched(blog, web, clock, shared):
    queue = Queue()
    luv = web_client(web, clock, shared, queue)
    assert [luv.cached_latest("HTTPS://Jaden.Example") for _ in range(50)] == [None] * 50
    luv.close()
    assert queue.sites == [SITE]  # normalised, once
    assert queue.threads and not queue.threads & {threading.current_thread().name}
    assert web.urls() == []


def test_one_refresh_is_queued_per_site_across_clients_until_it_is_done(blog, web, clock, shared):
    queues = [Queue(), Queue()]
    clients = [web_client(web, clock, shared, queue) for queue in queues]
    for luv in clients:
        luv.cached_latest(SITE)
        luv.close()
    assert queues[0].sites + queues[1].sites == [SITE]  # the second found it claimed
    worker(web, clock, shared).refresh(SITE)  # the worker's write ends the claim
    assert clients[0].cached_latest(SITE).title == "Post 9"
    clock.now += clients[0].freshness.posts_ttl + 1  # stale: queued again, served meanwhile
    later = web_client(web, clock, shared, queues[1])
    assert later.cached_latest(SITE).title == "Post 9"
    later.close()
    assert queues[1].sites == [SITE]


def test_stale_lookups_queue_instead_of_fetching_and_fresh_ones_queue_nothing(
    blog, web, clock, shared
):
    worker(web, clock, shared).refresh(SITE)
    fetched = len(web.urls())
    queue = Queue()
    luv = web_client(web, clock, shared, queue)
    assert luv.latest(SITE).title == "Post 9" and luv.cached_latest(SITE).title == "Post 9"
    clock.now += luv.freshness.posts_ttl + 1
    assert luv.latest(SITE).title == "Post 9"
    assert luv.lookup_if_cached(SITE).posts[0].title == "Post 9"
    luv.close()
    assert queue.sites == [SITE]
    assert len(web.urls()) == fetched


def test_a_remembered_failure_is_not_queued_again(web, clock, shared):
    worker(web, clock, shared).lookup("https://down.example/")  # nothing answers
    queue = Queue()
    luv = web_client(web, clock, shared, queue)
    assert luv.cached_latest("https://down.example/") is None
    luv.close()
    assert queue.sites == []


def test_a_broker_that_fails_is_logged_and_the_claim_given_up(blog, web, clock, shared, caplog):
    def down(site):
        raise ConnectionError("broker unreachable")

    failing = web_client(web, clock, shared, down)
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        assert failing.cached_latest(SITE) is None
        failing.close()
    assert "queueing a refresh of https://jaden.example/ failed (ConnectionError" in caplog.text
    queue = Queue()
    other = web_client(web, clock, shared, queue)
    other.cached_latest(SITE)
    other.close()
    assert queue.sites == [SITE]


def test_reads_are_counted_in_the_process_and_written_in_one_batch(blog, web, clock, shared):
    worker(web, clock, shared).warm([SITE, "https://b.example/"])
    luv = web_client(web, clock, shared, Queue())
    for _ in range(1000):
        luv.cached_latest(SITE)
    luv.lookup_if_cached("https://b.example/")
    assert shared.count_writes == []  # not one write per read
    luv.close()
    assert shared.count_writes == [{SITE: 1000, "https://b.example/": 1}]


def test_claim_due_refreshes_gives_the_most_read_sites_about_to_go_stale_once(web, clock, shared):
    sites = [f"https://s{number}.example/" for number in range(4)]
    for number, site in enumerate(sites):
        web.get(site, f"<link rel='alternate' type='application/rss+xml' href='{site}feed'>")
        web.get(
            f"{site}feed",
            f"<rss version='2.0'><channel><item><title>{number}</title></item></channel></rss>",
            content_type="application/rss+xml",
        )
    fetcher = worker(web, clock, shared)
    fetcher.warm(sites)
    luv = web_client(web, clock, shared, Queue())
    for site, reads in zip(sites, [2, 5, 0, 1], strict=True):
        for _ in range(reads):
            luv.cached_latest(site)
    luv.close()
    ttl = luv.freshness.posts_ttl
    assert luv.claim_due_refreshes(ttl - 60) == []  # none stale within the next ttl - 60 s
    assert luv.claim_due_refreshes(ttl + 1, limit=2) == [sites[1], sites[0]]
    assert luv.claim_due_refreshes(ttl + 1) == [sites[3]]  # the others are claimed
    fetcher.refresh(sites[1])  # refreshed: claim ended, reads start again from zero
    clock.now += ttl + 1
    assert luv.claim_due_refreshes(ttl + 1) == []


def test_without_a_refresher_reads_are_neither_counted_nor_queued(blog, web, clock, shared):
    luv = worker(web, clock, shared)
    assert luv.cached_latest(SITE) is None
    luv.refresh(SITE)
    for _ in range(10):
        luv.cached_latest(SITE)
    luv.close()
    assert shared.count_writes == []
    assert luv.claim_due_refreshes(luv.freshness.posts_ttl + 1) == []


class CallLog(MemoryCache):
    """A memory cache that records every call made to it, by method name."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __getattribute__(self, name):
        attribute = super().__getattribute__(name)
        if callable(attribute) and not name.startswith("_"):
            super().__getattribute__("calls").append(name)
        return attribute


def test_a_client_without_a_refresher_does_no_queue_work_on_a_lookup(blog, web):
    # The index of sites by freshness and the queued-refresh claims are the task queue's:
    # a plain client pays one read, the fetch lock (add, get, delete) and one write.
    cache = CallLog()
    client = CommentLuv(transport=web.transport, cache=cache)
    assert client.lookup(SITE).ok
    assert sorted(cache.calls) == ["add", "delete", "get", "get", "get", "set"]
    cache.calls.clear()
    assert client.lookup(SITE).cached
    assert cache.calls == ["get"]
