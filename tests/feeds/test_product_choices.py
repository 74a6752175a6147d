"""The product choices of issue 22, item 9, held by tests: a link-blog entry's backlink goes to
the commenter's own post; a JSON Feed title escaped twice by its publisher is decoded once;
a plain-text title whose words are tag names loses them (the safe rule, documented)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from commentluv import CommentLuv
from commentluv._feeds import FeedReader, parse_posts

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
SITE = "https://daringfireball.example/"
FEED = SITE + "feeds/main"
LINK_BLOG = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A link blog</title>
<entry><title>A link to elsewhere</title>
<link rel="alternate" type="text/html" href="https://elsewhere.example/article"/>
<link rel="shorturl" type="text/html" href="http://short.example/q4d"/>
<link rel="related" type="text/html" href="{SITE}linked/2024/05/31/elsewhere"/>
<id>tag:daringfireball.example,2024:/linked//1</id>
<published>2024-05-31T10:00:00Z</published></entry>
<entry><title>An article of the site's own</title>
<link rel="alternate" type="text/html" href="{SITE}2024/05/own"/>
<link rel="related" type="text/html" href="https://elsewhere.example/source"/>
<id>tag:daringfireball.example,2024:/own</id>
<published>2024-05-30T10:00:00Z</published></entry>
<entry><title>Only elsewhere</title>
<link rel="alternate" type="text/html" href="https://elsewhere.example/only"/>
<id>tag:daringfireball.example,2024:/only</id>
<published>2024-05-29T10:00:00Z</published></entry>
</feed>"""


def links(body: bytes, monkeypatch, *, fallback: bool) -> list[tuple[str, str | None]]:
    with monkeypatch.context() as patch:
        if fallback:
            patch.setattr(FeedReader, "read", lambda self, body: None)
        posts = parse_posts(body, feed_url=FEED, site_url=SITE, now=NOW)
    return [(post.title, post.link) for post in posts]


def test_a_link_blog_entry_links_to_the_commenters_own_post(monkeypatch):
    expected = [
        ("A link to elsewhere", SITE + "linked/2024/05/31/elsewhere"),
        ("An article of the site's own", SITE + "2024/05/own"),
        ("Only elsewhere", "https://elsewhere.example/only"),
    ]
    body = LINK_BLOG.encode()
    assert links(body, monkeypatch, fallback=False) == expected
    assert links(body, monkeypatch, fallback=True) == expected


def json_feed(*titles: str) -> bytes:
    items = [
        {
            "id": str(n),
            "title": title,
            "url": f"{SITE}{n}",
            "date_published": f"2024-05-{30 - n}T00:00:00Z",
        }
        for n, title in enumerate(titles)
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()


def test_a_json_feed_title_escaped_twice_is_decoded_once():
    body = json_feed("Add Task &amp; Sub Tasks", "&#8216;Jokes&#8217;", "<b>Bold</b> move", "A < B")
    posts = parse_posts(body, feed_url=FEED, site_url=SITE, now=NOW)
    assert [post.title for post in posts] == [
        "Add Task & Sub Tasks",
        "‘Jokes’",
        "Bold move",
        "A < B",
    ]


def test_a_plain_title_whose_words_are_tag_names_loses_them():
    body = (
        "<rss version='2.0'><channel><item><title>Die Rückkehr von &lt;i&gt; und &lt;b&gt;"
        f"</title><link>{SITE}p/</link></item></channel></rss>"
    ).encode()
    [post] = parse_posts(body, feed_url=FEED, site_url=SITE, now=NOW)
    assert post.title == "Die Rückkehr von und"


def test_end_to_end_a_link_blog(site):
    page = '<html><head><link rel="alternate" type="application/atom+xml" href="/feeds/main">'
    site.add("/", page + "</head><body></body></html>")
    site.add("/feeds/main", LINK_BLOG.replace(SITE, site.url + "/"),
             headers={"Content-Type": "application/atom+xml"})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv:
        post = luv.latest(site.url + "/")
    assert post.link == site.url + "/linked/2024/05/31/elsewhere"
