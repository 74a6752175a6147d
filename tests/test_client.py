"""The client's flows over a MockTransport (conftest's FakeWeb) and a loopback server: discovery,
caching, revalidation, failures."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from commentluv import (
    BlockedURL,
    CommentLuv,
    FeedNotFound,
    FetchError,
    HTTPStatusError,
    InvalidURL,
    MemoryCache,
    NoPosts,
    Post,
)

SITE = "https://jaden.example/"
FEED = "https://jaden.example/feed/"

HOME = """<!doctype html><html><head><title>Jaden</title>
<meta name="generator" content="WordPress 6.6.2">
<link rel="alternate" type="application/rss+xml" title="Jaden &raquo; Feed" href="/feed/">
<link rel="alternate" type="application/rss+xml" title="Jaden &raquo; Comments Feed"
      href="/comments/feed/">
</head><body><h1>Jaden</h1></body></html>"""

HOME_WITHOUT_LINKS = """<!doctype html><html><head><title>Jaden</title>
<meta name="generator" content="WordPress 6.6.2"></head><body><p>hi</p></body></html>"""


def rss(*titles: str, days=None) -> str:
    items = []
    for i, title in enumerate(titles):
        day = (days or list(range(20, 20 - len(titles), -1)))[i]
        items.append(
            f"<item><title>{title}</title><link>https://jaden.example/p{i}/</link>"
            f"<pubDate>{day:02d} Nov 2026 10:00:00 +0000</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Jaden</title><link>{SITE}</link>{''.join(items)}</channel></rss>"
    )


@pytest.fixture
def luv(clock, web):
    # No stale window: these tests follow the refresh a lookup waits for.
    client = CommentLuv(
        clock=clock, cache=MemoryCache(timer=clock), stale_ttl=0, transport=web.transport
    )
    yield client
    client.close()


def test_typed_host_is_followed_to_https_and_its_feed(luv, web):
    web.get("http://jaden.example/", status=301, headers={"Location": SITE})
    web.get(SITE, body=HOME, content_type="text/html; charset=UTF-8")
    web.get(FEED, body=rss("Newest", "Older"), content_type="application/rss+xml")
    post = luv.latest("jaden.example")
    assert (post.title, post.feed_url, post.site_url) == ("Newest", FEED, "http://jaden.example/")
    assert web.urls() == ["http://jaden.example/", SITE, FEED]


def test_https_site_two_requests_and_post_fields(luv, web):
    web.get(SITE, body=HOME, content_type="text/html; charset=UTF-8")
    web.get(FEED, body=rss("Newest", "Older"), content_type="application/rss+xml")
    post = luv.latest(SITE)
    assert post == Post(
        title="Newest",
        link="https://jaden.example/p0/",
        published=datetime(2026, 11, 20, 10, tzinfo=timezone.utc),
        feed_url=FEED,
        site_url=SITE,
    )
    assert web.urls() == [SITE, FEED]
    assert web.requests[0].headers["Accept"].startswith("text/html")


def test_second_lookup_is_served_from_cache(luv, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Newest"))
    luv.latest(SITE)
    assert luv.latest("HTTPS://JADEN.EXAMPLE").title == "Newest"  # same normalised key
    assert len(web.requests) == 2


def test_stale_posts_are_revalidated_with_one_conditional_request(luv, clock, web):
    web.get(SITE, body=HOME)
    web.get(
        FEED,
        body=rss("Newest"),
        headers={"ETag": '"abc"', "Last-Modified": "Fri, 20 Nov 2026 10:00:00 GMT"},
    )
    luv.latest(SITE)
    clock.now += luv.freshness.posts_ttl + 1
    web.get(FEED, status=304)
    assert luv.latest(SITE).title == "Newest"
    assert web.urls() == [SITE, FEED, FEED]
    revalidation = web.requests[2]
    assert revalidation.headers["If-None-Match"] == '"abc"'
    assert revalidation.headers["If-Modified-Since"] == "Fri, 20 Nov 2026 10:00:00 GMT"
    # The 304 made the posts fresh again: no request now.
    luv.latest(SITE)
    assert len(web.requests) == 3


def test_changed_feed_replaces_cached_posts(luv, clock, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Old news"))
    luv.latest(SITE)
    clock.now += luv.freshness.posts_ttl + 1
    web.get(FEED, body=rss("Fresh news", "Old news", days=[21, 20]))
    assert luv.latest(SITE).title == "Fresh news"


def test_site_url_that_is_a_feed_takes_one_request(luv, web):
    web.get(FEED, body=rss("Direct"), content_type="text/html")  # mislabelled, still a feed
    assert luv.latest(FEED).title == "Direct"
    assert web.urls() == [FEED]


def test_recent_returns_newest_first_up_to_limit(luv, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("B", "A", "C", days=[19, 18, 20]))
    assert [p.title for p in luv.recent(SITE, limit=2)] == ["C", "B"]
    assert [p.title for p in luv.recent(SITE)] == ["C", "B", "A"]
    with pytest.raises(ValueError, match="limit"):
        luv.recent(SITE, limit=0)


def test_no_feed_link_falls_back_to_platform_guess(luv, web):
    web.get(SITE, body=HOME_WITHOUT_LINKS)
    web.get(FEED, body=rss("Guessed"))
    assert luv.latest(SITE).title == "Guessed"
    assert web.urls()[:2] == [SITE, FEED]


def test_soft_404_and_redirect_home_guesses_are_rejected(luv, web):
    home = "<html><head><title>x</title></head><body>nothing</body></html>"
    web.get(SITE, body=home)
    soft_404 = "<html><body><h1>Page not found</h1></body></html>"
    for path in (
        "feed",
        "rss",
        "atom.xml",
        "feed.xml",
        "rss.xml",
        "index.xml",
        "feed.json",
        "feed/",
    ):
        web.get(SITE + path, body=soft_404)
    web.get(SITE + "rss", status=301, headers={"Location": SITE})
    with pytest.raises(FeedNotFound):
        luv.latest(SITE)
    assert 1 < len(web.requests) <= 1 + luv.limits.max_candidates + 1  # + the redirect hop


def test_feed_link_that_404s_reports_not_found(luv, web, caplog):
    # Issue 12 changed this: a dead advertised feed no longer ends the search with its own
    # NotFound; the platform's and generic guesses come next, and the error says what failed.
    web.get(SITE, body=HOME)
    web.get(FEED, status=404)
    with (
        caplog.at_level(logging.DEBUG, logger="commentluv"),
        pytest.raises(FeedNotFound, match="the feed it links to failed: HTTP 404"),
    ):
        luv.latest(SITE)
    assert web.urls() == [SITE, FEED] + [
        SITE + p for p in ("rss", "atom.xml", "feed.xml", "rss.xml")
    ]
    assert f"candidate {FEED} rejected: not_found" in caplog.text


def test_a_dead_advertised_feed_gives_way_to_a_guess(luv, web):
    web.get(SITE, body=HOME)
    web.get(FEED, status=404)
    web.get(SITE + "rss", body=rss("Guessed"), content_type="application/rss+xml")
    assert luv.latest(SITE).title == "Guessed"
    assert web.urls() == [SITE, FEED, SITE + "rss"]


def test_home_page_404_is_not_found(luv, web):
    web.get(SITE, status=404, body="gone")
    with pytest.raises(HTTPStatusError) as caught:
        luv.latest(SITE)
    assert caught.value.kind == "not_found"


def test_empty_feed_is_no_posts(luv, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss())
    with pytest.raises(NoPosts):
        luv.latest(SITE)


def test_failures_are_cached_briefly(luv, clock, web):
    web.get(SITE, error=FetchError("the connection was refused"))
    with pytest.raises(FetchError):
        luv.latest(SITE)
    with pytest.raises(FetchError):
        luv.latest(SITE)
    assert len(web.requests) == 1  # the dead site was not asked again
    clock.now += luv.freshness.error_ttl + 1
    with pytest.raises(FetchError):
        luv.latest(SITE)
    assert len(web.requests) == 2


def test_cached_posts_outlive_a_failed_refresh(luv, clock, caplog, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Still here"))
    luv.latest(SITE)
    clock.now += luv.freshness.posts_ttl + 1
    web.get(FEED, error=FetchError("the connection was refused"))
    with caplog.at_level(logging.WARNING, logger="commentluv"):
        assert luv.latest(SITE).title == "Still here"
    assert "serving cached posts" in caplog.text


def test_moved_feed_is_rediscovered(luv, clock, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Before the move"))
    luv.latest(SITE)
    clock.now += luv.freshness.posts_ttl + 1
    moved = HOME.replace('href="/feed/"', 'href="/new-feed/"')
    web.get(SITE, body=moved)
    web.get(FEED, status=410)
    web.get(SITE + "new-feed/", body=rss("After the move"))
    post = luv.latest(SITE)
    assert post.title == "After the move"
    assert post.feed_url == SITE + "new-feed/"


@pytest.mark.parametrize(
    "typed", ["javascript:alert(1)", "file:///etc/passwd", "http://user:pw@x.example/"]
)
def test_invalid_urls_make_no_request(luv, typed, web):
    with pytest.raises(InvalidURL):
        luv.latest(typed)
    assert len(web.requests) == 0


@pytest.mark.parametrize(
    "typed", ["localhost", "127.0.0.1", "http://169.254.169.254/", "0x7f.1", "[::1]"]
)
def test_private_targets_make_no_request(luv, typed, web):
    with pytest.raises(BlockedURL):
        luv.latest(typed)
    assert len(web.requests) == 0


def test_backlink_formats_the_latest_post(luv, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Addictions…You Can Overcome Them"))
    assert (
        luv.backlink("Jaden Daniels", SITE, style="classic")
        == ".-= Jaden Daniels´s last blog ..Addictions…You Can Overcome Them =-."
    )
    html = luv.backlink("Jaden <b>", SITE, fmt="html")
    assert html == (
        ".-= Jaden's last blog .."
        '<a href="https://jaden.example/p0/" rel="nofollow ugc">Addictions…You Can Overcome Them</a> =-.'
    )


def test_backlink_gives_none_on_failure_and_logs(luv, caplog, web):
    web.get(SITE, error=FetchError("the connection was refused"))
    with caplog.at_level(logging.INFO, logger="commentluv"):
        assert luv.backlink("Jaden", SITE) is None
        assert luv.backlink("Jaden", "javascript:alert(1)") is None
    assert "unreachable" in caplog.text and "invalid_url" in caplog.text


def test_backlink_with_a_bad_style_is_a_programming_error(luv):
    with pytest.raises(ValueError, match="style"):
        luv.backlink("Jaden", SITE, style="clasic")


def test_lookup_many_keys_results_by_input(luv, web):
    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Newest"))
    results = luv.lookup_many([SITE, "javascript:x", SITE])
    assert list(results) == [SITE, "javascript:x"]
    assert isinstance(results[SITE], Post) and results[SITE].title == "Newest"
    assert isinstance(results["javascript:x"], InvalidURL)


def test_module_level_functions_use_one_default_client():
    import commentluv

    assert commentluv.default_client() is commentluv.default_client()
    assert commentluv.backlink("x", "javascript:alert(1)") is None
    with pytest.raises(InvalidURL):
        commentluv.latest("mailto:x@example.com")


def test_cache_values_are_json_ready(luv, web):
    import json

    web.get(SITE, body=HOME)
    web.get(FEED, body=rss("Newest"))
    luv.latest(SITE)
    entry = luv.cache.get("commentluv:site:" + SITE)
    assert json.loads(json.dumps(entry)) == entry


# Stale-while-revalidate, shared fetches, cached/refresh/warm: against a real loopback server.

LOOPBACK_HOME = (
    "<html><head><link rel='alternate' type='application/rss+xml' href='/feed/'></head></html>"
)


@pytest.fixture
def blog(site):
    site.add("/", LOOPBACK_HOME)
    site.add("/feed/", rss("First"), headers={"Content-Type": "application/rss+xml"})
    return site


class WithoutAdd:
    """A cache with only the three required methods: no cross-process lock to lean on."""

    def __init__(self):
        self.memory = MemoryCache()

    def get(self, key):
        return self.memory.get(key)

    def set(self, key, value, ttl):
        self.memory.set(key, value, ttl)

    def delete(self, key):
        self.memory.delete(key)


def loopback_client(clock, cache=None, **kwargs):
    return CommentLuv(allow_private_hosts=True, clock=clock, cache=cache or MemoryCache(), **kwargs)


@pytest.mark.parametrize("cache", [MemoryCache, WithoutAdd])
def test_a_stale_entry_is_served_at_once_while_one_refresh_runs(blog, clock, cache):
    luv = loopback_client(clock, cache())
    assert luv.latest(blog.url).title == "First"
    clock.now += luv.freshness.posts_ttl + 1
    # The refresh is slow (about 0.3 s): every lookup meanwhile answers from the cache.
    blog.add("/feed/", rss("Second", "First"), drip=200, drip_delay=0.05)
    started = time.monotonic()
    titles = [luv.latest(blog.url).title for _ in range(20)]
    elapsed = time.monotonic() - started
    assert titles == ["First"] * 20
    assert elapsed < 0.1
    luv.close()  # waits for the background refresh
    assert blog.paths() == ["/", "/feed/", "/feed/"]
    assert luv.cached_latest(blog.url).title == "Second"


def test_past_the_stale_window_a_lookup_waits_for_the_refresh(blog, clock):
    luv = loopback_client(clock, stale_ttl=60)
    luv.latest(blog.url)
    clock.now += luv.freshness.posts_ttl + 61
    blog.add("/feed/", rss("Second", "First"))
    assert luv.latest(blog.url).title == "Second"
    assert blog.paths() == ["/", "/feed/", "/feed/"]
    luv.close()


@pytest.mark.parametrize("cache", [MemoryCache, WithoutAdd])
def test_fifty_concurrent_lookups_of_an_uncached_site_share_one_fetch(blog, clock, cache):
    blog.add("/feed/", rss("First"), drip=100, drip_delay=0.02)
    luv = loopback_client(clock, cache())
    start = threading.Barrier(50)

    def look_up(_):
        start.wait()
        return luv.latest(blog.url).title

    with ThreadPoolExecutor(max_workers=50) as pool:
        titles = list(pool.map(look_up, range(50)))
    assert titles == ["First"] * 50
    assert blog.paths() == ["/", "/feed/"]
    luv.close()


def test_clients_sharing_a_backend_share_one_fetch(blog, clock):
    # Two clients stand for two processes: only the shared cache's lock key connects them.
    blog.add("/feed/", rss("First"), drip=100, drip_delay=0.02)
    shared = MemoryCache()
    clients = [CommentLuv(allow_private_hosts=True, clock=clock, cache=shared) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        titles = list(pool.map(lambda luv: luv.latest(blog.url).title, clients))
    assert titles == ["First", "First"]
    assert blog.paths() == ["/", "/feed/"]
    for luv in clients:
        luv.close()


def test_cached_never_touches_the_network(blog, clock):
    luv = loopback_client(clock)
    assert luv.cached_latest(blog.url) is None
    assert luv.cached_latest("javascript:alert(1)") is None
    assert blog.paths() == []
    luv.latest(blog.url)
    clock.now += luv.freshness.posts_ttl + luv.freshness.stale_ttl + 1
    assert luv.cached_latest(blog.url).title == "First"  # however stale
    assert blog.paths() == ["/", "/feed/"]
    luv.close()


def test_refresh_fetches_now_and_warm_reports_each_url(blog, clock):
    luv = loopback_client(clock)
    luv.latest(blog.url)
    blog.add("/feed/", rss("Second", "First"))
    assert [post.title for post in luv.refresh(blog.url)] == ["Second", "First"]
    assert blog.paths() == ["/", "/feed/", "/feed/"]
    # A gone deep link (404) now finds the site root's feed (issue 12): a broken one fails.
    blog.add("/broken/", "oops", status=500)
    results = luv.warm([blog.url, blog.url + "/broken/", blog.url])
    assert list(results) == [blog.url, blog.url + "/broken/"]
    assert results[blog.url].ok and results[blog.url].posts[0].title == "Second"
    assert not results[blog.url + "/broken/"].ok
    assert isinstance(results[blog.url + "/broken/"].error, HTTPStatusError)
    luv.close()


def test_a_cache_hit_starts_no_thread(blog, clock):
    luv = loopback_client(clock)
    luv.latest(blog.url)
    before = threading.active_count()
    for _ in range(100):
        luv.latest(blog.url)
    assert threading.active_count() == before
    luv.close()


def test_the_lookup_log_counts_its_requests_in_words(luv, web, caplog):
    h_feed = (
        '<html><body><div class="h-entry"><a class="u-url p-name" href="/p1/">One</a>'
        '<time class="dt-published" datetime="2026-11-20">20 Nov</time></div></body></html>'
    )
    web.get(SITE, h_feed)
    web.get(FEED, rss("Two"), content_type="application/rss+xml")
    web.get("https://feeds.example/", HOME.replace("/feed/", FEED))
    with caplog.at_level(logging.INFO, logger="commentluv"):
        assert luv.lookup(SITE).ok  # the page alone: its h-entry
        assert luv.lookup("https://feeds.example/").ok  # the page, then its feed
    assert f"{SITE}: feed {SITE}, 1 request" in caplog.messages
    assert "https://feeds.example/: feed https://jaden.example/feed/, 2 requests" in caplog.messages
