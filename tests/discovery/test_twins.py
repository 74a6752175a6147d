"""The other format of a failed feed (issue 22, item 7): RSS beside JSON Feed is one feed in
two formats, and the second is tried when the first fails (404, an HTML error page, JSON that
is not a feed): a duplicate is only a duplicate once its twin has worked. ``/xml/rss.xml`` is
the site's feed, not an "xml" section's."""

from __future__ import annotations

import json

import pytest

from commentluv import CommentLuv, MemoryCache
from commentluv._discovery import find_feed_links
from tests.support.documents import one_post_rss

SITE = "https://ann.example/"
RSS = "application/rss+xml"
JSON = "application/feed+json"
HEAD = (
    f'<link rel="alternate" type="{RSS}" title="RSS" href="/xml/rss.xml">'
    f'<link rel="alternate" type="{JSON}" title="JSON Feed" href="/feed.json">'
)
PAGE = f"<!DOCTYPE html><html><head>{HEAD}</head><body><p>Hi</p></body></html>"


def json_feed(title: str, site: str = SITE) -> str:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Ann",
        "items": [{"id": "1", "title": title, "url": site + "p/1/",
                   "date_published": "2024-05-31T09:30:00Z"}],
    })  # fmt: skip


def test_two_formats_are_one_feed_and_both_are_tried():
    links = find_feed_links(PAGE, SITE + "2024/05/a-post/")
    assert [c.url for c in links.feeds] == [SITE + "xml/rss.xml"]
    assert links.post_feed_urls() == [SITE + "xml/rss.xml", SITE + "feed.json"]


def test_an_xml_directory_is_no_section():
    head = (
        f'<link rel="alternate" type="{RSS}" href="/xml/rss.xml">'
        f'<link rel="alternate" type="{RSS}" href="/other/feed/">'
    )
    links = find_feed_links(f"<html><head>{head}</head></html>", SITE + "2024/05/a-post/")
    assert [c.url for c in links.feeds] == [SITE + "xml/rss.xml", SITE + "other/feed/"]


BROKEN = [
    pytest.param({"status": 404}, id="404"),
    pytest.param({"body": "<html><body>Oops, an error</body></html>"}, id="html-page"),
    pytest.param({"body": '{"rss": {"channel": {}}}', "content_type": JSON}, id="json-not-a-feed"),
]


@pytest.mark.parametrize("broken", BROKEN)
def test_the_other_format_when_the_first_fails(web, broken):
    web.get(SITE, PAGE)
    web.get(SITE + "xml/rss.xml", **{"body": "", **broken})
    web.get(SITE + "feed.json", json_feed("From the JSON Feed"), content_type=JSON)
    with CommentLuv(cache=MemoryCache(), transport=web.transport) as luv:
        assert luv.latest(SITE).title == "From the JSON Feed"
    assert web.urls() == [SITE, SITE + "xml/rss.xml", SITE + "feed.json"]


def test_the_twin_is_not_fetched_when_the_first_works(web):
    web.get(SITE, PAGE)
    web.get(SITE + "xml/rss.xml", one_post_rss("From RSS", SITE + "p/1/"), content_type=RSS)
    with CommentLuv(cache=MemoryCache(), transport=web.transport) as luv:
        assert luv.latest(SITE).title == "From RSS"
    assert web.urls() == [SITE, SITE + "xml/rss.xml"]


def test_end_to_end_json_that_is_not_a_feed_then_rss(site):
    head = (
        f'<link rel="alternate" type="{JSON}" href="/feed.json">'
        f'<link rel="alternate" type="{RSS}" href="/rss.xml">'
    )
    site.add("/", f"<html><head>{head}</head><body></body></html>")
    site.add("/feed.json", '{"rss": {"channel": {"item": []}}}',
             headers={"Content-Type": "application/json"})  # fmt: skip
    site.add(
        "/rss.xml", one_post_rss("From RSS", site.url + "/p/1/"), headers={"Content-Type": RSS}
    )
    with CommentLuv(allow_private_hosts=True) as luv:
        post = luv.latest(site.url + "/")
    assert (post.title, post.feed_url) == ("From RSS", site.url + "/rss.xml")
    assert site.paths() == ["/", "/feed.json", "/rss.xml"]
