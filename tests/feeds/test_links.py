"""Which page a post links to (issue 22, item 6): an empty or self-referencing href is no link
(an Atom entry then has its <id> when that is an http(s) page on the site, else no link)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commentluv import CommentLuv
from commentluv._feeds import parse_posts
from tests.support import FIXTURES

FEEDS = FIXTURES / "feeds"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
SITE = "https://site.example/"


def links(body: bytes, feed_url: str = SITE + "feed/atom/") -> list[tuple[str, str | None]]:
    posts = parse_posts(body, feed_url=feed_url, site_url=SITE, now=NOW)
    return [(post.title, post.link) for post in posts]


def test_an_empty_href_under_xml_base_is_no_link():
    assert links((FEEDS / "empty_href_xml_base_atom.xml").read_bytes()) == [
        ("Link: A post whose link WordPress left empty", SITE + "?p=14848"),
        ("An entry whose id is elsewhere", None),
        ("An entry whose id is a tag", None),
        ("A plain post", SITE + "2025/09/05/plain/"),
    ]


@pytest.mark.parametrize("href", ["", "/feed/atom/", "https://site.example/feed/atom/"])
def test_a_link_to_the_feed_itself_is_no_link(href):
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>'
        f'<link rel="alternate" type="text/html" href="{href}"/>'
        "<id>https://site.example/?p=7</id><updated>2025-01-01T00:00:00Z</updated></entry></feed>"
    ).encode()
    assert links(body) == [("T", SITE + "?p=7")]


def test_end_to_end_an_empty_href(site):
    page = '<html><head><link rel="alternate" type="application/atom+xml" href="/feed/atom/">'
    site.add("/", page + "</head><body></body></html>")
    body = (FEEDS / "empty_href_xml_base_atom.xml").read_bytes()
    site.add("/feed/atom/", body.replace(b"https://site.example", site.url.encode()),
             headers={"Content-Type": "application/atom+xml"})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv:
        post = luv.latest(site.url + "/")
    assert (post.title, post.link) == (
        "Link: A post whose link WordPress left empty",
        site.url + "/?p=14848",
    )
