"""Reader bugs found by holding commentluv to feedparser's and gofeed's test corpora (issue 22;
bench/corpora.py): an Atom title of a non-text type (base64) read alike by both readers,
EBCDIC feeds in their declared code page, an HTML comment inside a title, and the rule for
an RSS item with several <link>s (the first http(s) one)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commentluv import CommentLuv
from commentluv._feeds import FeedReader, parse_posts
from commentluv._feeds.decode import decode_feed
from commentluv._shared.text import clean_text
from tests.support import FIXTURES

FEEDS = FIXTURES / "feeds"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
FEED_URL = "https://site.example/feed/"


def both_readers(body: bytes, monkeypatch) -> tuple[list, list]:
    """(title, link) of each post from parse_posts as it is, and with feedparser alone."""

    def read() -> list[tuple[str, str | None]]:
        posts = parse_posts(body, feed_url=FEED_URL, site_url="https://site.example/", now=NOW)
        return [(post.title, post.link) for post in posts]

    usual = read()
    with monkeypatch.context() as patch:
        patch.setattr(FeedReader, "read", lambda self, body: None)
        return usual, read()


def test_a_base64_atom_title_is_decoded_by_both_readers(monkeypatch):
    usual, fallback = both_readers((FEEDS / "atom_base64_title.xml").read_bytes(), monkeypatch)
    assert (
        usual
        == fallback
        == [
            ("A base64 title", "https://site.example/base64/"),
            ("A text/plain title", "https://site.example/plain/"),
        ]
    )


def test_several_rss_links_the_first_http_one_counts(monkeypatch):
    usual, fallback = both_readers((FEEDS / "several_links_rss.xml").read_bytes(), monkeypatch)
    assert (
        usual
        == fallback
        == [
            ("Three links", "https://site.example/2024/05/the-post/"),
            ("An unsafe link first", "https://site.example/2024/04/second/"),
        ]
    )


@pytest.mark.parametrize(
    ("raw", "markup", "shown"),
    [
        ("sa<!-- x -->fe", True, "safe"),
        ("sa<!-- x -->fe", False, "safe"),
        ("one <!-- x --> two", True, "one two"),
        ("sa<!-- never closed", True, "sa"),
        ("a<b>b</b><br>c", True, "ab c"),  # other tags keep their rule
    ],
)
def test_an_html_comment_joins_the_words_around_it(raw, markup, shown):
    assert clean_text(raw, markup=markup) == shown


def test_a_comment_inside_a_feed_title(monkeypatch):
    body = (
        b"<rss version='2.0'><channel><item><title><![CDATA[sa<!-- x -->fe]]></title>"
        b"<link>https://site.example/p/</link></item></channel></rss>"
    )
    usual, fallback = both_readers(body, monkeypatch)
    assert usual == fallback == [("safe", "https://site.example/p/")]


# EBCDIC: "<?xml" is the same bytes in every EBCDIC code page; the declaration names which.
EBCDIC_TITLES = {
    "cp037": "Brackets [x] and a bar | !",
    "cp500": "Brackets [x] and a bar | !",
    "cp1140": "Euro € [x] !",
    "cp875": "Ελληνικά [x]",
    "cp1026": "Türkçe [x] {y}",
}


def ebcdic_feed(codec: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="{codec}"?><rss version="2.0"><channel><title>E</title>'
        f"<item><title>{EBCDIC_TITLES[codec]}</title><link>https://site.example/e/</link>"
        "</item></channel></rss>"
    ).encode(codec)


@pytest.mark.parametrize("codec", sorted(EBCDIC_TITLES))
def test_an_ebcdic_feed_is_read_in_its_declared_code_page(codec):
    body = ebcdic_feed(codec)
    assert decode_feed(body, None).endswith("</rss>")
    [post] = parse_posts(body, feed_url=FEED_URL, site_url="https://site.example/", now=NOW)
    assert post.title == EBCDIC_TITLES[codec]


def test_an_ebcdic_feed_declaring_no_ebcdic_code_page_stays_cp037():
    body = ebcdic_feed("cp037").replace("cp037".encode("cp037"), "utf-8".encode("cp037"))
    [post] = parse_posts(body, feed_url=FEED_URL, site_url="https://site.example/", now=NOW)
    assert post.title == EBCDIC_TITLES["cp037"]


@pytest.mark.parametrize("codec", ["cp500", "cp875"])
def test_end_to_end_an_ebcdic_feed(site, codec):
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
    site.add("/", page + "<body></body></html>")
    site.add("/feed/", ebcdic_feed(codec).replace("https://site.example".encode(codec),
             site.url.encode(codec)), headers={"Content-Type": "application/rss+xml"})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv:
        assert luv.latest(site.url + "/").title == EBCDIC_TITLES[codec]


def test_end_to_end_a_base64_title(site):
    page = '<html><head><link rel="alternate" type="application/atom+xml" href="/feed/"></head>'
    site.add("/", page + "<body></body></html>")
    site.add("/feed/", (FEEDS / "atom_base64_title.xml").read_bytes(),
             headers={"Content-Type": "application/atom+xml"})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv:
        assert luv.latest(site.url + "/").title == "A base64 title"
