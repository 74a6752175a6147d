"""Whole lookups through a real HTTP server on 127.0.0.1: redirects, gzip, guessing, big pages."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from commentluv import CommentLuv, FetchTimeout, Post
from commentluv._net.fetcher import Fetcher
from tests.support import FIXTURES

FEED = (FIXTURES / "feeds" / "wordpress_rss2.xml").read_bytes()


@pytest.fixture
def recorded(monkeypatch):
    """Every Response the client's fetcher returns, to count requests and bytes read."""
    responses = []
    original = Fetcher.get

    def spy(self, url, **kwargs):
        response = original(self, url, **kwargs)
        responses.append(response)
        return response

    monkeypatch.setattr(Fetcher, "get", spy)
    return responses


def client(**kwargs) -> CommentLuv:
    return CommentLuv(allow_private_hosts=True, **kwargs)


def wordpress_home(feed_href: str, filler: int = 0) -> bytes:
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='UTF-8'>"
        "<title>Jaden Daniels</title><meta name='generator' content='WordPress 6.6.2'>"
        f"<link rel='alternate' type='application/rss+xml' title='Jaden &raquo; Feed' href='{feed_href}'>"
        "<link rel='alternate' type='application/rss+xml' title='Jaden &raquo; Comments Feed' "
        "href='/comments/feed/'></head>"
    )
    return (
        head + "<body>" + "<p>lorem ipsum dolor sit amet</p>" * filler + "</body></html>"
    ).encode()


def test_wordpress_site_with_feed_link_takes_two_requests(site, recorded):
    site.add("/", wordpress_home("/feed/"))
    site.add("/feed/", FEED, headers={"Content-Type": "application/rss+xml; charset=UTF-8"})
    post = client().latest(site.url)
    assert isinstance(post, Post)
    assert post.feed_url == site.url + "/feed/"
    assert site.paths() == ["/", "/feed/"]
    assert [len(r.body) for r in recorded] == [len(wordpress_home("/feed/")), len(FEED)]


def test_redirects_and_gzip(site):
    site.add("/", status=301, headers={"Location": "/blog/"})
    site.add("/blog/", wordpress_home("/blog/feed/"), gzip=True)
    site.add("/blog/feed/", status=302, headers={"Location": "/blog/feed/rss2/"})
    site.add("/blog/feed/rss2/", FEED, gzip=True, headers={"Content-Type": "application/rss+xml"})
    post = client().latest(site.url)
    assert post.feed_url == site.url + "/blog/feed/rss2/"
    assert site.paths() == ["/", "/blog/", "/blog/feed/", "/blog/feed/rss2/"]


def test_guessing_finds_the_feed_when_the_page_links_none(site):
    site.add(
        "/",
        "<html><head><meta name='generator' content='Hugo 0.128.0'><title>x</title></head>"
        "<body>no links</body></html>",
    )
    site.add("/index.xml", FEED, headers={"Content-Type": "application/rss+xml"})
    post = client().latest(site.url)
    assert post.feed_url == site.url + "/index.xml"
    assert site.paths()[0] == "/"
    assert len(site.paths()) <= 6


def test_a_big_homepage_is_read_only_to_the_end_of_its_head(site, recorded):
    page = wordpress_home("/feed/", filler=160_000)  # about 5 MB
    assert len(page) > 5_000_000
    site.add("/", page)
    site.add("/feed/", FEED)
    client().latest(site.url)
    page_read = len(recorded[0].body)
    assert not recorded[0].complete
    assert page_read < 128 * 1024


def test_second_lookup_makes_no_request_and_revalidation_gets_304(site):
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("ETag", '"v1"')
        handler.send_header("Content-Length", str(len(FEED)))
        handler.end_headers()
        handler.wfile.write(FEED)

    site.add("/", wordpress_home("/feed/"))
    site.add("/feed/", handler=conditional)
    now = [1_800_000_000.0]
    luv = client(clock=lambda: now[0], stale_ttl=0)
    first = luv.latest(site.url)
    assert luv.latest(site.url) == first
    assert site.paths() == ["/", "/feed/"]
    now[0] += luv.freshness.posts_ttl + 1
    assert luv.latest(site.url) == first
    assert site.paths() == ["/", "/feed/", "/feed/"]


def test_lookup_many_does_not_let_a_slow_site_hold_up_the_others(site):
    site.add("/", wordpress_home("/feed/"))
    site.add("/feed/", FEED)
    site.add("/slow/", b"x" * 100, drip_delay=0.2)
    fast_urls = [f"{site.url}/?n={n}" for n in range(5)]
    for url in fast_urls:
        site.add(url[len(site.url) :], wordpress_home("/feed/"))
    started = time.monotonic()
    results = client().lookup_many([site.url + "/slow/", *fast_urls], timeout=1.0)
    elapsed = time.monotonic() - started
    assert isinstance(results[site.url + "/slow/"], FetchTimeout)
    assert all(isinstance(results[url], Post) for url in fast_urls)
    assert elapsed < 1.6


def big_feed(items: int, *, oldest_first: bool = False) -> bytes:
    """A full-content RSS feed of about 2 KB per item."""
    days = range(items) if not oldest_first else range(items - 1, -1, -1)
    entries = "".join(
        f"<item><title>Post {items - day}</title><link>/p/{items - day}/</link>"
        f"<pubDate>{(datetime(2026, 11, 20) - timedelta(days=day)):%a, %d %b %Y} 10:00:00 +0000</pubDate>"
        f"<description>{'Full content. ' * 140}</description></item>"
        for day in days
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>http://big.example/</link>{entries}</channel></rss>"
    ).encode()


def test_a_big_newest_first_feed_is_read_only_as_far_as_needed(site, recorded):
    feed = big_feed(1000)
    assert len(feed) > 2_000_000
    site.add("/", wordpress_home("/feed/"))
    site.add("/feed/", feed, headers={"Content-Type": "application/rss+xml"})
    post = client(max_feed_bytes=4 * 1024 * 1024).latest(site.url)
    assert post.title == "Post 1000"
    feed_read = recorded[1]
    assert not feed_read.complete
    assert len(feed_read.body) <= 256 * 1024


def test_an_oldest_first_feed_is_read_to_the_end(site, recorded):
    feed = big_feed(300, oldest_first=True)
    site.add("/", wordpress_home("/feed/"))
    site.add("/feed/", feed, headers={"Content-Type": "application/rss+xml"})
    assert client().latest(site.url).title == "Post 300"
    assert recorded[1].complete
    assert len(recorded[1].body) == len(feed)


def test_a_feed_the_fast_path_declines_is_downloaded_whole_for_the_fallback(site):
    # windows-1252 (the fast path reads UTF-8 only), oldest first, over 100 KB: the newest
    # post is at the very end. Once, the download stopped where the fast path gave up, and
    # the fallback read the first 16 KB: an old post became the "latest".
    items = "".join(
        f"<item><title>Caf\xe9 post {day}</title><link>https://a.example/{day}</link>"
        f"<pubDate>{day:02d} Nov 2026 10:00:00 +0000</pubDate>"
        f"<description>{'filler ' * 600}</description></item>"
        for day in range(1, 29)
    )
    feed = (
        "<?xml version='1.0' encoding='windows-1252'?><rss version='2.0'><channel>"
        f"{items}</channel></rss>"
    ).encode("cp1252")
    assert len(feed) > 100_000
    site.add("/", "<link rel='alternate' type='application/rss+xml' href='/feed'>")
    site.add("/feed", feed, headers={"Content-Type": "application/rss+xml"})
    with client() as luv:
        assert luv.latest(site.url + "/").title == "Café post 28"
