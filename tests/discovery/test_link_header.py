"""Feeds announced in the HTTP ``Link`` response header (issue 22, item 1; RFC 8288): read
from the page's response (no request more), ranked exactly as head ``<link>``s are, with the
same comments-feed and category rules."""

from __future__ import annotations

import pytest

from commentluv import CommentLuv, MemoryCache
from commentluv._discovery import find_feed_links
from commentluv._discovery.linkheader import parse_link_header
from tests.support.documents import one_post_rss

SITE = "https://ann.example/"
RSS = "application/rss+xml"
PAGE = "<!DOCTYPE html><html><head><title>Ann</title>{head}</head><body><p>Hi</p></body></html>"


def feed_urls(page_url: str, header: str, head: str = "") -> list[str]:
    links = find_feed_links(PAGE.format(head=head), page_url, link_header=header)
    return links.post_feed_urls()


def test_parses_several_values_quoted_commas_and_extended_titles():
    header = (
        '</feed.xml>; rel="alternate"; type="application/rss+xml"; title="Ann, her blog; RSS",'
        " <https://ann.example/atom.xml> ; rel=alternate ; type=application/atom+xml,"
        " </style.css>; rel=stylesheet, </x>; title*=UTF-8''Caf%C3%A9; title=\"plain\""
    )
    assert parse_link_header(header) == [
        {"href": "/feed.xml", "rel": "alternate", "type": RSS, "title": "Ann, her blog; RSS"},
        {"href": "https://ann.example/atom.xml", "rel": "alternate",
         "type": "application/atom+xml"},
        {"href": "/style.css", "rel": "stylesheet"},
        {"href": "/x", "title": "Café"},
    ]  # fmt: skip


@pytest.mark.parametrize("header", [None, "", "garbage", "<unclosed; rel=alternate", ","])
def test_a_header_that_names_nothing(header):
    assert parse_link_header(header) == []


def test_a_long_hostile_header_is_bounded():
    header = ", ".join(f'</f{n}.xml>; rel="alternate"; type="{RSS}"' for n in range(5000))
    assert len(parse_link_header(header)) == 50
    assert parse_link_header("<" * 100_000) == []


def test_the_header_alone_announces_the_feed():
    header = f'</feed.xml>; rel="alternate"; type="{RSS}"; title="Ann"'
    assert feed_urls(SITE, header) == [SITE + "feed.xml"]


def test_relative_targets_resolve_against_the_response_url_not_the_base():
    header = f'<feed.xml>; rel="alternate"; type="{RSS}"'
    head = '<base href="https://cdn.example/assets/">'
    assert feed_urls(SITE + "blog/", header, head) == [SITE + "blog/feed.xml"]


def test_comments_and_category_feeds_rank_as_head_links_do():
    header = (
        f'</comments/feed/>; rel="alternate"; type="{RSS}"; title="Ann » Comments Feed", '
        f'</category/news/feed/>; rel="alternate"; type="{RSS}", '
        f'</feed/>; rel="alternate"; type="{RSS}"'
    )
    links = find_feed_links(PAGE.format(head=""), SITE, link_header=header)
    assert [c.url for c in links.feeds] == [
        SITE + "feed/",
        SITE + "category/news/feed/",
        SITE + "comments/feed/",
    ]
    assert links.post_feed_urls() == [SITE + "feed/", SITE + "category/news/feed/"]


def test_header_and_head_links_to_one_feed_collapse():
    header = f'</feed/>; rel="alternate"; type="{RSS}"'
    head = f'<link rel="alternate" type="{RSS}" href="/feed/">'
    assert feed_urls(SITE, header, head) == [SITE + "feed/"]


@pytest.mark.parametrize(
    "header",
    [
        '</feed.xml>; rel="preload"; type="application/rss+xml"',
        '</wp-json/>; rel="https://api.w.org/"',
        '</feed.xml>; rel="alternate"; type="text/css"',
        'javascript:alert(1); rel="alternate"; type="application/rss+xml"',
        '<javascript:alert(1)>; rel="alternate"; type="application/rss+xml"',
    ],
)
def test_what_is_not_a_feed_in_the_header(header):
    assert feed_urls(SITE, header) == []


def test_lookup_reads_the_header_with_no_request_more(web):
    header = f'</feed.xml>; rel="alternate"; type="{RSS}"'
    web.get(SITE, PAGE.format(head=""), headers={"Link": header})
    web.get(
        SITE + "feed.xml", one_post_rss("Announced in the header", SITE + "p/1/"), content_type=RSS
    )
    with CommentLuv(cache=MemoryCache(), transport=web.transport) as luv:
        assert luv.latest(SITE).title == "Announced in the header"
    assert web.urls() == [SITE, SITE + "feed.xml"]


def test_end_to_end_a_feed_announced_only_in_the_header(site):
    header = (
        f'</comments.xml>; rel="alternate"; type="{RSS}"; title="Comments, all of them", '
        f'<feed.xml>; rel="alternate"; type="{RSS}"; title="Ann"'
    )
    site.add("/old", b"", status=301, headers={"Location": "/blog/"})
    site.add("/blog/", PAGE.format(head=""), headers={"Link": header})
    site.add("/blog/feed.xml", one_post_rss("From the header", site.url + "/p/1/"),
             headers={"Content-Type": RSS})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv:
        post = luv.latest(site.url + "/old")
    assert (post.title, post.feed_url) == ("From the header", site.url + "/blog/feed.xml")
    assert site.paths() == ["/old", "/blog/", "/blog/feed.xml"]
