"""The cache record format and the cross-process fetch lock (commentluv._engine.store)."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone

import pytest

from commentluv import Freshness, MemoryCache, NotFound, Post
from commentluv._engine.store import FORMAT, MAX_VALIDATOR_LENGTH, FailedEntry, SiteEntry, SiteStore

SITE = "https://jaden.example/"
POST = Post(
    title="Newest",
    link="https://jaden.example/p/",
    published=datetime(2026, 11, 20, tzinfo=timezone.utc),
    feed_url="https://jaden.example/feed/",
    site_url=SITE,
)


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store():
    clock = Clock()
    return SiteStore(MemoryCache(timer=clock), Freshness(posts_ttl=60, stale_ttl=30), clock)


def test_a_site_entry_round_trips_through_json_with_one_format_number(store):
    entry = store.write_posts(SITE, POST.feed_url, [POST], etag='"e"', last_modified=None)
    raw = store.cache.get("commentluv:site:" + SITE)
    assert raw["format"] == FORMAT and "v" not in raw
    assert store.read(SITE) == entry
    assert entry.posts() == [POST] and entry.posts(1) == [POST]


def test_the_source_of_the_posts_is_kept(store):
    post = Post("A note", "https://jaden.example/n/1", None, SITE, SITE, source="h-feed")
    store.write_posts(SITE, SITE, [post], etag=None, last_modified=None)
    assert store.cache.get(store.key(SITE))["source"] == "h-feed"
    entry = store.read(SITE)
    assert isinstance(entry, SiteEntry) and entry.source == "h-feed"
    assert entry.posts() == [post]
    assert Post.from_dict(post.to_dict()) == post and post.to_dict()["source"] == "h-feed"
    assert Post.from_dict({**POST.to_dict(), "source": None}).source == "feed"


def test_failures_round_trip_as_their_error(store):
    store.write_failure(SITE, NotFound("HTTP 404", url=SITE, status=404))
    entry = store.read(SITE)
    assert isinstance(entry, FailedEntry)
    error = entry.to_error(SITE)
    assert isinstance(error, NotFound) and error.status == 404 and error.url == SITE


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "text",
        {"v": 1, "value": {"format": FORMAT, "error": {"kind": "x"}}},  # the old envelope
        {"format": FORMAT + 1, "feed_url": "f", "posts": [{}], "fresh_until": 1},
        {"format": FORMAT - 1, "error": {"kind": "timeout", "message": "m"}},
        {"format": FORMAT, "feed_url": "f", "posts": [], "fresh_until": 1},
        {"format": FORMAT, "feed_url": "f", "posts": ["not a dict"], "fresh_until": 1},
        {"format": FORMAT, "feed_url": "f", "posts": [{}], "fresh_until": "soon"},
        {"format": FORMAT, "posts": [{}], "fresh_until": 1},
        {"format": FORMAT, "error": "not a dict"},
        {"format": FORMAT, "feed_url": "f", "posts": [{"title": 1}], "fresh_until": 1},
        {
            "format": FORMAT,
            "feed_url": "f",
            "posts": [{"title": "t", "published": "x"}],
            "fresh_until": 1,
        },
        {"format": 2, "feed_url": "f", "posts": [{"title": "t"}], "fresh_until": 1},
        {"format": 3, "feed_url": "f", "posts": [{"title": "t"}], "fresh_until": 1},
        {"format": FORMAT, "feed_url": "f", "posts": [{"title": "t"}], "fresh_until": 1},
        {
            "format": FORMAT,
            "feed_url": "f",
            "source": "telepathy",
            "posts": [{"title": "t"}],
            "fresh_until": 1,
        },
    ],
)
def test_foreign_or_malformed_records_read_as_misses(store, raw):
    store.cache.set(store.key(SITE), raw, 60)
    assert store.read(SITE) is None


def test_freshness_and_the_stale_window(store):
    entry = store.write_posts(SITE, POST.feed_url, [POST], etag=None, last_modified=None)
    assert store.is_fresh(entry)
    store.clock.now += 61
    assert not store.is_fresh(entry) and store.is_servable_stale(entry)
    store.clock.now += 30
    assert not store.is_servable_stale(entry)
    renewed = store.extend(SITE, entry, 60)
    assert store.is_fresh(renewed) and store.read(SITE) == renewed


def test_the_fetch_lock_is_exclusive_and_released():
    store = SiteStore(MemoryCache(), Freshness(), time.time)
    with (
        store.fetch_lock(SITE, wait=0, hold=5) as first,
        store.fetch_lock(SITE, wait=0, hold=5) as second,
    ):
        assert (first, second) == (True, False)
    with store.fetch_lock(SITE, wait=0, hold=5) as again:
        assert again is True


def test_a_lock_that_expired_and_was_taken_over_is_not_deleted_by_its_first_owner():
    store = SiteStore(MemoryCache(), Freshness(), time.time)
    with store.fetch_lock(SITE, wait=0, hold=0.05) as mine:
        assert mine
        time.sleep(0.1)  # ours expires; another process takes the key
        assert store.cache.add(store.lock_key(SITE), "theirs", 5)
    assert store.cache.get(store.lock_key(SITE)) == "theirs"


def test_a_waiter_stops_waiting_once_the_other_fetch_has_stored_its_result():
    store = SiteStore(MemoryCache(), Freshness(), time.time)
    entered = threading.Event()

    def other_process():
        with store.fetch_lock(SITE, wait=0, hold=5):
            entered.set()
            time.sleep(0.2)
            store.write_posts(SITE, POST.feed_url, [POST], etag=None, last_modified=None)
            time.sleep(1)

    thread = threading.Thread(target=other_process)
    thread.start()
    entered.wait()
    started = time.monotonic()
    with store.fetch_lock(SITE, wait=5, hold=5) as taken:
        waited = time.monotonic() - started
    assert taken is False and 0.15 < waited < 0.8
    assert isinstance(store.read(SITE), SiteEntry)
    thread.join()


def test_records_are_bounded_whatever_the_site_sends(store):
    # 50 posts with the longest links and titles, and huge validators: once 427 KiB a record.
    link = "https://a.example/" + "x" * 2000
    posts = [
        Post("t" * 200, link, POST.published, "https://a.example/" + "f" * 2000, SITE)
        for _ in range(50)
    ]
    store.write_posts(SITE, posts[0].feed_url, posts, etag="e" * 60_000, last_modified="m" * 60_000)
    raw = store.cache.get(store.key(SITE))
    size = len(json.dumps(raw))
    assert size < 120 * 1024, size
    assert raw["etag"] is None and raw["last_modified"] is None
    assert set(raw["posts"][0]) == {"title", "link", "published"}
    entry = store.read(SITE)
    assert entry.posts(1)[0].feed_url == posts[0].feed_url and entry.posts(1)[0].site_url == SITE
    store.write_posts(
        SITE,
        POST.feed_url,
        [POST],
        etag='"' + "e" * (MAX_VALIDATOR_LENGTH - 2) + '"',
        last_modified=None,
    )
    assert store.read(SITE).etag is not None  # a validator at the limit is kept


def test_an_unchanged_cached_value_is_decoded_once(store):
    store.write_posts(SITE, POST.feed_url, [POST], etag=None, last_modified=None)
    first = store.read(SITE)
    assert store.read(SITE) is first  # the memory cache gave the same value back
    store.write_posts(SITE, POST.feed_url, [POST, POST], etag=None, last_modified=None)
    assert store.read(SITE) is not first
