"""A JSON body is never scanned for HTML links (issue 22, item 8): an "RSS in JSON" file
holding escaped markup (``<a href=\\"http://...\\">``) yielded requests for JSON-escaped
hrefs (``http://scripting.com/%5C%22http:/...``)."""

from __future__ import annotations

import json

import pytest

from commentluv import CommentLuv, FeedNotFound, MemoryCache
from commentluv._discovery import find_feed_links

SITE = "http://scripting.com/"
MARKUP = (
    '<a href="http://scripting.com/2024/feed.xml">RSS feed</a>'
    ' <link rel="alternate" type="application/rss+xml" href="/rss.xml">'
)
RSS_IN_JSON = json.dumps({"rss": {"channel": {"item": [{"description": MARKUP}]}}})


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
@pytest.mark.parametrize("body", [RSS_IN_JSON, "\ufeff \n" + RSS_IN_JSON, f"[{RSS_IN_JSON}]"])
def test_json_yields_no_links(body, content_type):
    links = find_feed_links(body.encode(), SITE + "data.json", content_type=content_type)
    assert links.post_feed_urls() == []


def test_html_served_as_json_is_still_read():
    html = f"<html><head>{MARKUP}</head></html>"
    links = find_feed_links(html.encode(), SITE, content_type="application/json")
    assert links.post_feed_urls() == [SITE + "rss.xml", SITE + "2024/feed.xml"]


def test_lookup_of_a_json_document_requests_no_escaped_href(web):
    web.get(SITE + "data.json", RSS_IN_JSON, content_type="application/json")
    with (
        CommentLuv(cache=MemoryCache(), transport=web.transport) as luv,
        pytest.raises(FeedNotFound),
    ):
        luv.latest(SITE + "data.json")
    assert not [url for url in web.urls() if "%5C" in url or "%22" in url]


def test_end_to_end_a_json_document(site):
    site.add("/data.json", RSS_IN_JSON.replace(SITE, site.url + "/"),
             headers={"Content-Type": "application/json"})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv, pytest.raises(FeedNotFound):
        luv.latest(site.url + "/data.json")
    assert not [path for path in site.paths() if "%5C" in path or "%22" in path]
    assert "/2024/feed.xml" not in site.paths()


def test_the_link_header_of_a_json_document_still_counts():
    header = '</feed.xml>; rel="alternate"; type="application/rss+xml"'
    links = find_feed_links(RSS_IN_JSON.encode(), SITE + "data.json", link_header=header)
    assert links.post_feed_urls() == [SITE + "feed.xml"]
