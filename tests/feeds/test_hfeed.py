"""h-feed (IndieWeb microformats2) as a posts source when a site has no feed (issue 12): the
reader (commentluv._feeds.hfeed) on fixtures, then lookups over FakeWeb and on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from commentluv import CommentLuv, FeedNotFound, MemoryCache
from commentluv._feeds.hfeed import hfeed_posts
from commentluv.cli import main
from tests.support import FIXTURES

PAGES = FIXTURES / "pages"
SITE = "https://ann.example/"
NOW = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def entries(
    name: str, page_url: str = SITE + "notes/"
) -> list[tuple[str, str | None, datetime | None]]:
    body = (PAGES / name).read_bytes()
    posts = hfeed_posts(body, page_url=page_url, site_url=SITE, now=NOW)
    assert {post.source for post in posts} <= {"h-feed"}
    assert {post.feed_url for post in posts} <= {page_url}
    return [(post.title, post.link, post.published) for post in posts]


# The reader


def test_an_h_feed_gives_its_entries_newest_first():
    assert entries("hfeed_indieweb.html") == [
        (  # an untitled note: the start of its e-content, as for JSON Feed notes
            "Just a short note about the weather, with no title at all but plenty of words to"
            " cut somewhere…",
            "https://ann.example/notes/2024/05/31/1",
            utc(2024, 5, 31, 8),
        ),
        ("Updated only", None, utc(2024, 5, 30, 10)),  # javascript: u-url dropped
        # p-name text as written; the author's h-card u-url is not the entry's; dates in UTC
        ("Q&A night & other news", "https://ann.example/posts/q-and-a", utc(2024, 5, 29, 7, 30)),
        ("A summary stands in for a missing name.", "https://ann.example/summary", None),
    ]  # the nested h-entry inside a quoted h-cite is not a post of the feed


def test_top_level_entries_value_classes_attributes_and_implied_properties():
    assert entries("hfeed_top_level.html") == [
        ("First light", "https://ann.example/2024/first-light", utc(2024, 5, 30, 7, 15)),
        ("Abbreviated title", "https://ann.example/2024/abbr", utc(2024, 5, 29, 12)),
        ("Sunrise over the bay", "https://ann.example/2024/sunrise", None),  # implied
    ]


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"<html><body><p class='hentry'>microformats 1</p></body></html>",
        b"<style>.h-entry { color: red }</style><p>no entries, only the word</p>",
        b"<div class='h-entry'></div><div class='h-entry'><img src='x.jpg'></div>",
        b"\x00\xff<div class='h-entry'>\x00",
    ],
)
def test_pages_without_usable_entries_give_none(html):
    assert hfeed_posts(html, page_url=SITE, site_url=SITE) == []


def test_microformats_1_classes_are_not_read():
    assert entries("mf1_wordpress.html") == []


def test_two_megabytes_of_entries_stay_fast():
    unit = "<div class='h-entry'><div><div><span class='p-name'>x</span></div></div></div>"
    body = ("<html><body>" + unit * (2 * 1024 * 1024 // len(unit)) + "</body></html>").encode()
    nested = ("<div class='h-entry'>" * 50_000).encode()
    for html in (body, nested):
        start = time.process_time()
        posts = hfeed_posts(html, page_url=SITE, site_url=SITE)
        assert time.process_time() - start < 3
        assert len(posts) <= 1000


# Lookups


def h_feed_page(*titles: str, head: str = "") -> str:
    items = "".join(
        f"<article class='h-entry'><a class='u-url p-name' href='/n/{i}'>{title}</a>"
        f"<time class='dt-published' datetime='2024-05-{30 - i:02d}T10:00:00Z'></time></article>"
        for i, title in enumerate(titles)
    )
    return f"<html><head><title>Ann</title>{head}</head><body><main class='h-feed'>{items}</main></body></html>"


RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Ann</title><item><title>From the'
    " feed</title><link>https://ann.example/p/</link></item></channel></rss>"
)


@pytest.fixture
def luv(web, clock):
    client = CommentLuv(
        clock=clock, cache=MemoryCache(timer=clock), transport=web.transport, stale_ttl=0
    )
    yield client
    client.close()


def test_a_page_with_entries_and_no_feed_takes_one_request(luv, web):
    web.get(SITE, h_feed_page("Newest note", "Older note"))
    post = luv.latest(SITE)
    assert (post.title, post.link, post.feed_url, post.source) == (
        "Newest note",
        SITE + "n/0",
        SITE,
        "h-feed",
    )
    assert web.urls() == [SITE]


def test_entries_come_before_anchors_only_their_words_call_a_feed(luv, web):
    web.get(SITE, h_feed_page("My feed reader setup", "RSS is not dead"))
    assert luv.latest(SITE).title == "My feed reader setup"
    assert web.urls() == [SITE]


def test_a_page_that_links_a_real_feed_uses_the_feed(luv, web):
    head = "<link rel='alternate' type='application/rss+xml' href='/feed/'>"
    web.get(SITE, h_feed_page("Newest note", head=head))
    web.get(SITE + "feed/", RSS, content_type="application/rss+xml")
    post = luv.latest(SITE)
    assert (post.title, post.source) == ("From the feed", "feed")
    anchor = "<a href='/feed.xml'>Subscribe</a>"  # a feed-shaped anchor is a real feed too
    web.get("https://bob.example/", h_feed_page("A note").replace("</main>", anchor + "</main>"))
    web.get("https://bob.example/feed.xml", RSS, content_type="application/rss+xml")
    assert luv.latest("https://bob.example/").source == "feed"


def test_old_wordpress_hentry_classes_never_beat_a_feed(luv, web):
    page = (PAGES / "mf1_wordpress.html").read_text()
    web.get("https://old.example/", page)
    web.get("https://old.example/feed/", RSS, content_type="application/rss+xml")
    assert luv.latest("https://old.example/").source == "feed"
    web.get("https://old2.example/", page.replace("https://old.example/feed/", "/gone/"))
    web.get("https://old2.example/feed/", RSS, content_type="application/rss+xml")
    assert luv.latest("https://old2.example/").title == "From the feed"  # guessed, not mf1


def test_a_permalink_page_defers_to_the_site_root(luv, web):
    permalink = SITE + "n/7"
    one = f"<html><body><article class='h-entry'><a class='u-url p-name' href='{permalink}'>This post</a></article></body></html>"
    web.get(permalink, one)
    web.get(SITE, h_feed_page("The newest post"))
    assert luv.latest(permalink).title == "The newest post"
    assert web.urls() == [permalink, SITE]
    web.get("https://bob.example/n/7", one.replace(permalink, "https://bob.example/n/7"))
    web.get("https://bob.example/", "<html><body>nothing</body></html>")
    assert luv.latest("https://bob.example/n/7").title == "This post"  # the last resort


def test_an_h_feed_is_revalidated_as_a_page_and_cached_with_its_source(luv, web, clock):
    web.get(SITE, h_feed_page("First note"), headers={"ETag": '"v1"'})
    assert luv.latest(SITE).source == "h-feed"
    record = luv.cache.get("commentluv:site:" + SITE)
    assert (record["format"], record["source"], record["feed_url"]) == (4, "h-feed", SITE)
    clock.now += luv.freshness.posts_ttl + 1
    web.get(SITE, status=304)
    assert luv.latest(SITE).title == "First note"
    assert web.requests[-1].headers["If-None-Match"] == '"v1"'
    clock.now += luv.freshness.posts_ttl + 1
    web.get(SITE, h_feed_page("Second note", "First note"))
    assert luv.latest(SITE).title == "Second note"
    clock.now += luv.freshness.posts_ttl + 1
    web.get(SITE, "<html><body>no more entries</body></html>")  # rediscovered: a guess
    web.get(SITE + "feed", RSS, content_type="application/rss+xml")
    assert luv.latest(SITE).title == "From the feed"


def test_end_to_end_an_h_feed_site_in_the_cli_json(site, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    site.add("/", h_feed_page("A note from the IndieWeb", "An older note"))
    assert main(["--allow-private-hosts", "--json", site.url]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["title"], record["source"], record["feed_url"]) == (
        "A note from the IndieWeb",
        "h-feed",
        site.url + "/",
    )
    assert site.paths() == ["/"]
    assert main(["--allow-private-hosts", "--json", "--recent", "2", site.url]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["cached"] and [post["source"] for post in record["posts"]] == ["h-feed"] * 2
    assert site.paths() == ["/"]


def test_a_page_without_entries_or_feed_is_still_no_feed(luv, web):
    web.get(SITE, "<html><body class='hfeed'><div class='hentry'>old</div></body></html>")
    with pytest.raises(FeedNotFound):
        luv.latest(SITE)


def test_the_cli_start_up_and_a_cached_lookup_do_not_import_lxml_html(site, tmp_path):
    site.add("/", h_feed_page("A note"))
    env_code = (
        "import sys\nfrom commentluv.cli import main\n"
        f"main(['--allow-private-hosts', '--cache', {str(tmp_path / 'c.sqlite3')!r}, {site.url!r}])\n"
        "print('HTML', 'lxml.html' in sys.modules)"
    )
    first = subprocess.run(
        [sys.executable, "-c", env_code], capture_output=True, text=True, timeout=60
    )
    assert first.stdout.splitlines()[-1] == "HTML True"
    again = subprocess.run(
        [sys.executable, "-c", env_code], capture_output=True, text=True, timeout=60
    )
    assert again.stdout.splitlines() == [".-= 127.0.0.1's last blog ..A note =-.", "HTML False"]
