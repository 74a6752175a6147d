"""Tests for commentluv._feeds (parse_posts): feed bytes → posts, newest first."""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv._feeds import parse_posts
from commentluv.errors import FeedError, NoPosts
from commentluv.models import Post
from tests.support import FIXTURES, ROOT

FIXTURES = FIXTURES / "feeds"
FEED_URL = "https://feeds.example/feed/"
SITE_URL = "https://site.example/"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
# Control characters, bidi embeddings/overrides/isolates/marks and lone surrogates.
FORBIDDEN_IN_TITLES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(
    body: bytes,
    *,
    feed_url: str = FEED_URL,
    headers: dict[str, str] | None = None,
    now: datetime | None = NOW,
) -> list[Post]:
    return parse_posts(body, feed_url=feed_url, site_url=SITE_URL, headers=headers, now=now)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def summary(posts: list[Post]) -> list[tuple[str, str | None, datetime | None]]:
    return [(post.title, post.link, post.published) for post in posts]


def titles(posts: list[Post]) -> list[str]:
    return [post.title for post in posts]


def rss(*items: str) -> bytes:
    """A minimal RSS 2.0 document around ``items`` (each the inside of an <item>)."""
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://site.example/</link>{body}</channel></rss>"
    ).encode()


# Formats and platforms

PLATFORM_FEEDS = {
    "wordpress_rss2.xml": [
        (
            "Addictions…You Can Overcome Them",
            "https://jadendaniels.example/2024/05/21/addictions-you-can-overcome-them/",
            utc(2024, 5, 21, 8, 15, 39),
        ),
        (
            "What I Learned From My First 10K (and Why I’ll Run Another)",
            "https://jadendaniels.example/2024/05/09/first-10k/",
            utc(2024, 5, 9, 17, 2, 11),
        ),
        (
            "Meal Prep & Mindset: A Sunday Routine",
            "https://jadendaniels.example/2024/04/28/meal-prep-mindset/",
            utc(2024, 4, 28, 10, 30),
        ),
    ],
    "wordpress_comments.xml": [
        (
            "Comment on Addictions…You Can Overcome Them by Maria L.",
            # Post links keep their fragment.
            "https://jadendaniels.example/2024/05/21/addictions-you-can-overcome-them/#comment-2291",
            utc(2024, 5, 22, 19, 44, 3),
        ),
        (
            "Comment on What I Learned From My First 10K (and Why I’ll Run Another) by Coach Pete",
            "https://jadendaniels.example/2024/05/09/first-10k/#comment-2288",
            utc(2024, 5, 10, 6, 12, 55),
        ),
    ],
    "blogger_atom.xml": [
        (
            "Free pattern: the Rainy Day Cowl",
            "https://purlbeforeswine.blogspot.com/2024/05/free-pattern-rainy-day-cowl.html",
            utc(2024, 5, 18, 16, 12),
        ),
        (
            "Blocking lace: pins, wires & patience",
            "https://purlbeforeswine.blogspot.com/2024/05/blocking-lace.html",
            utc(2024, 5, 3, 1, 40),
        ),
    ],
    "blogger_atom03.xml": [
        (
            "Leek & potato, the lazy way",
            "http://soupoftheday.blogspot.com/2006/11/leek-and-potato.html",
            utc(2006, 11, 2, 18, 30),
        ),
        (
            "Roast pumpkin soup",
            "http://soupoftheday.blogspot.com/2006/10/pumpkin.html",
            utc(2006, 10, 30, 1, 2),
        ),
    ],
    "medium_rss.xml": [
        (
            "Why Your Data Pipeline Needs a Dead-Letter Queue",
            "https://medium.com/@priyaraman/why-your-data-pipeline-needs-a-dead-letter-queue"
            "-4c1d2e3f4a5b?source=rss-8f3a2b1c9d0e------2",
            utc(2024, 5, 20, 13, 58, 41),
        ),
        (
            "Idempotency Keys, Explained With Coffee Orders",
            "https://medium.com/@priyaraman/idempotency-keys-explained-with-coffee-orders"
            "-9e8d7c6b5a4f?source=rss-8f3a2b1c9d0e------2",
            utc(2024, 5, 7, 9, 12, 5),
        ),
    ],
    "substack_rss.xml": [
        (
            "The Library That Never Closes",
            "https://marginnote.substack.com/p/the-library-that-never-closes",
            utc(2024, 5, 19, 12, 0, 38),
        ),
        (
            "Notes From a Bookshop in Porto",
            "https://marginnote.substack.com/p/notes-from-a-bookshop-in-porto",
            utc(2024, 5, 5, 12, 0, 12),
        ),
    ],
    "ghost_rss.xml": [
        (
            "Postmortem: The Cache That Remembered Too Much",
            "https://nightshift.example.com/postmortem-cache-that-remembered-too-much/",
            utc(2024, 5, 16, 22, 4, 31),
        ),
        (
            "On-Call Without Burnout: Our Rotation, One Year In",
            "https://nightshift.example.com/on-call-without-burnout/",
            utc(2024, 5, 1, 8, 0),
        ),
    ],
    "tumblr_rss.xml": [
        (
            "Sphagnum up close: a whole world in a teaspoon",
            "https://tinyforests.tumblr.com/post/750123456789012345/"
            "sphagnum-up-close-a-whole-world-in-a-teaspoon",
            utc(2024, 5, 17, 23, 22, 8),
        ),
        (
            "Photo",
            "https://tinyforests.tumblr.com/post/749876543210987654",
            utc(2024, 5, 11, 13, 3, 44),
        ),
    ],
    "jekyll_atom.xml": [
        (
            "Parsing Without Tears: Pratt Parsers in 200 Lines",
            "https://tomaskral.github.io/2024/05/14/pratt-parsers.html",
            utc(2024, 5, 13, 22, 0),
        ),
        (
            "Tips & Tricks for Split Keyboards",
            "https://tomaskral.github.io/2024/04/30/split-keyboards.html",
            utc(2024, 4, 29, 22, 0),
        ),
    ],
    "hugo_index.xml": [
        (
            "Counting Swifts Over the Estuary",
            "https://fieldnotes.example.org/posts/counting-swifts/",
            utc(2024, 5, 25),
        ),
        (
            "A Wet Week in the Cairngorms",
            "https://fieldnotes.example.org/posts/wet-week-cairngorms/",
            utc(2024, 5, 10),
        ),
        # Hugo dates undated pages with Go's zero time.
        ("About", "https://fieldnotes.example.org/about/", utc(1, 1, 1)),
    ],
    "squarespace_rss.xml": [
        (
            "Firing Day: Notes From the Wood Kiln",
            "https://www.hollowoakceramics.example/journal/firing-day-notes-from-the-wood-kiln",
            utc(2024, 5, 21, 15, 2, 45),
        ),
        (
            "Glaze Tests: Ash, Iron & a Happy Accident",
            "https://www.hollowoakceramics.example/journal/glaze-tests-ash-iron",
            utc(2024, 5, 2, 10, 15),
        ),
    ],
    "movabletype_rss10.rdf": [
        (
            "Trackback spam is the new comment spam",
            "http://www.linkdump.example.net/archives/000412.html",
            utc(2005, 3, 14, 18, 23, 45),
        ),
        (
            "Upgrading to MT 3.15",
            "http://www.linkdump.example.net/archives/000411.html",
            utc(2005, 3, 13, 5, 5, 10),
        ),
    ],
    "netscape_rss091.xml": [
        (
            "New photos from the 2001 LAN party",
            "http://www.kevinshome.example.com/photos/lan2001.html",
            None,
        ),
        ("Guestbook is back up", "http://www.kevinshome.example.com/guestbook.html", None),
    ],
    "jsonfeed_v1_1.json": [
        (
            "Link: Queueing Theory for Busy People",
            "https://example.org/papers/queueing-theory-for-busy-people.pdf",
            utc(2024, 5, 27, 17, 45),
        ),
        (
            "The Case for Boring Tech",
            "https://quiethours.example/2024/05/the-case-for-boring-tech/",
            utc(2024, 5, 23, 6, 30),
        ),
        (
            "Ten Years of Cron Jobs I Regret",
            "https://feeds.example/2024/05/ten-years-of-cron/",
            utc(2024, 5, 2, 6, 0),
        ),
    ],
    "jsonfeed_microblog.json": [
        (
            "Morning light on the river, and a heron that refused to move for the ferry. "
            "I waited; the heron…",
            "https://analima.micro.blog/2024/05/30/074501.html",
            utc(2024, 5, 30, 6, 45, 1),
        ),
        (
            "Finally fixed the dripping tap. Plumbers of the world, I salute you. 🔧",
            "https://analima.micro.blog/2024/05/29/183012.html",
            utc(2024, 5, 29, 17, 30, 12),
        ),
    ],
    "mastodon_rss.xml": [
        (
            # text.strip_tags puts a space where the <span> was.
            "Shipped v2.0 of my #rust CLI today & it's 3× faster. "
            "Thanks to everyone who sent patches <3",
            "https://fosstodon.example/@jonas/112535012345678901",
            utc(2024, 5, 31, 10, 14, 52),
        ),
        (
            "Hot take: every config file format eventually grows a templating language, "
            "and every templating…",
            "https://fosstodon.example/@jonas/112520000000000001",
            utc(2024, 5, 28, 19, 40),
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(PLATFORM_FEEDS))
def test_platform_feeds(name: str) -> None:
    assert summary(parse(load(name))) == PLATFORM_FEEDS[name]


def test_posts_carry_the_feed_and_site_urls_passed_in() -> None:
    posts = parse_posts(
        load("ghost_rss.xml"),
        feed_url="https://nightshift.example.com/rss/",
        site_url="https://nightshift.example.com/",
        now=NOW,
    )
    assert {(post.feed_url, post.site_url) for post in posts} == {
        ("https://nightshift.example.com/rss/", "https://nightshift.example.com/")
    }


def test_feedparser_itself_does_not_read_json_feed() -> None:
    import feedparser

    result = feedparser.parse(io.BytesIO(load("jsonfeed_v1_1.json")))
    assert result.version == ""
    assert result.entries == []


@pytest.mark.parametrize(
    "version", ["https://jsonfeed.org/version/1", "http://jsonfeed.org/version/1.1"]
)
def test_json_feed_versions(version: str) -> None:
    document = {"version": version, "items": [{"id": "1", "title": "Hi", "url": "/hi"}]}
    posts = parse(json.dumps(document).encode())
    assert summary(posts) == [("Hi", "https://feeds.example/hi", None)]


def test_json_feed_with_a_bom_and_escapes() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "1", "title": "Caf\u00e9 \u2013 AT&amp;T <b>", "url": "https://a.example/"}
        ],
    }
    body = codecs.BOM_UTF8 + json.dumps(document).encode()
    # A JSON Feed title's references are decoded once (publishers escape it twice: issue 22,
    # item 9); tag-shaped text is removed.
    assert titles(parse(body)) == ["Café – AT&T"]


def test_json_feed_lone_surrogates_are_dropped() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": '
        b'[{"title": "a\\ud800b", "url": "https://a.example/\\udfff"}]}'
    )
    assert summary(parse(body)) == [("ab", "https://a.example/", None)]


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ',
        b'{"name": "package.json", "version": "1.0.0"}',
        b'{"version": 1, "items": [{"title": "x"}]}',
        b'{"a": ' * 100_000 + b"1" + b"}" * 100_000,
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 50_000,
    ],
    ids=["truncated", "not-a-feed", "version-not-a-string", "deep-objects", "deep-items"],
)
def test_json_that_is_not_a_json_feed(body: bytes) -> None:
    with pytest.raises(FeedError) as info:
        parse(body)
    assert type(info.value) is FeedError


@pytest.mark.parametrize("items", ["[]", '"nope"', '[1, "two", null, {"id": "x"}]'])
def test_json_feed_without_usable_items(items: str) -> None:
    with pytest.raises(NoPosts):
        parse(f'{{"version": "https://jsonfeed.org/version/1.1", "items": {items}}}'.encode())


# Ordering


def test_newest_first_whatever_the_document_order() -> None:
    assert titles(parse(load("oldest_first_rss.xml"))) == [
        "Version 1.2: sync that actually syncs",
        "Version 1.1: dark mode",
        "Version 1.0: hello world",
    ]


def test_undated_feed_keeps_document_order() -> None:
    posts = parse(load("undated_rss.xml"))
    assert titles(posts) == ["Broad beans are up!", "Slug wars, part three", "Welcome to my diary"]
    assert [post.published for post in posts] == [None, None, None]


def test_a_date_two_years_ahead_counts_as_undated() -> None:
    posts = parse(load("future_dated_rss.xml"))
    assert summary(posts) == [
        (
            "Recapping a Commodore 1084S monitor",
            "https://retroweekly.example/recapping-1084s/",
            utc(2024, 5, 30, 18, 0),
        ),
        (
            "Why the ZX Spectrum keyboard feels like that",
            "https://retroweekly.example/spectrum-keyboard/",
            utc(2024, 5, 21, 18, 0),
        ),
        (
            "Coming soon: the Amiga 500 restoration series",
            "https://retroweekly.example/amiga-500-series/",
            None,
        ),
    ]


def test_the_future_is_relative_to_now() -> None:
    posts = parse(load("future_dated_rss.xml"), now=utc(2026, 6, 1))
    assert posts[0].published == utc(2026, 6, 1, 9, 0)


def test_up_to_a_day_ahead_is_still_dated() -> None:
    soon = (NOW + timedelta(hours=23)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    later = (NOW + timedelta(hours=25)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    posts = parse(
        rss(
            f"<title>later</title><pubDate>{later}</pubDate>",
            f"<title>soon</title><pubDate>{soon}</pubDate>",
        )
    )
    assert [(post.title, post.published) for post in posts] == [
        ("soon", NOW + timedelta(hours=23)),
        ("later", None),
    ]


def test_default_now_is_the_current_time() -> None:
    current = datetime.now(timezone.utc)
    ahead = (current + timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    behind = (current - timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = rss(
        f"<title>ahead</title><pubDate>{ahead}</pubDate>",
        f"<title>behind</title><pubDate>{behind}</pubDate>",
    )
    posts = parse(body, now=None)
    assert [(post.title, post.published is None) for post in posts] == [
        ("behind", False),
        ("ahead", True),
    ]


def test_a_naive_now_is_taken_as_utc() -> None:
    posts = parse(load("future_dated_rss.xml"), now=datetime(2024, 6, 1, 12, 0))
    assert [post.published is None for post in posts] == [False, False, True]


def test_dated_posts_first_then_undated_in_document_order() -> None:
    body = rss(
        "<title>undated A</title>",
        "<title>old</title><pubDate>Mon, 01 Apr 2024 00:00:00 GMT</pubDate>",
        "<title>undated B</title>",
        "<title>new</title><pubDate>Wed, 01 May 2024 00:00:00 GMT</pubDate>",
    )
    assert titles(parse(body)) == ["new", "old", "undated A", "undated B"]


def test_equal_dates_keep_document_order() -> None:
    date = "<pubDate>Wed, 01 May 2024 00:00:00 GMT</pubDate>"
    body = rss(f"<title>first</title>{date}", f"<title>second</title>{date}")
    assert titles(parse(body)) == ["first", "second"]


def test_dates_are_utc_and_updated_stands_in_for_published() -> None:
    posts = parse(load("atom_title_types.xml"))
    assert posts[0].published == utc(2024, 5, 20, 10, 0)
    assert all(post.published and post.published.utcoffset() == timedelta(0) for post in posts)


def test_json_feed_dates() -> None:
    items = [
        {"title": "offset", "date_published": "2024-05-01T10:00:00-05:30"},
        {"title": "modified only", "date_modified": "2024-05-02t00:00:00z"},
        {"title": "date only", "date_published": "2024-04-01"},
        {"title": "leap second", "date_published": "2016-12-31T23:59:60Z"},
        {"title": "garbage", "date_published": "last Tuesday"},
        {"title": "impossible", "date_published": "2024-02-30T00:00:00Z"},
    ]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    assert [(post.title, post.published) for post in parse(body)] == [
        ("modified only", utc(2024, 5, 2)),
        ("offset", utc(2024, 5, 1, 15, 30)),
        ("date only", utc(2024, 4, 1)),
        ("leap second", utc(2016, 12, 31, 23, 59, 59)),
        ("garbage", None),
        ("impossible", None),
    ]


# Titles


def test_atom_title_types() -> None:
    assert titles(parse(load("atom_title_types.xml"))) == [
        "Bold moves: kerning AT&T",  # type="html": tags stripped, entities decoded once
        "Ligatures & why they matter",  # type="xhtml"
        "Using for AT&amp;T-style specimens",  # type="text": not decoded, tags removed
        "Widows, orphans and rivers",  # whitespace and newlines collapsed
        "A post with a blank title: the summary stands in for it.",
    ]


def test_rss_title_escaping() -> None:
    body = rss(
        "<title>AT&amp;amp;T &amp; Verizon</title>",
        "<title><![CDATA[Hello <em>world</em> &amp; co]]></title>",
        "<title>Fish &amp; Chips</title>",
        "<title>3 &lt; 5 but 7 &gt; 2</title>",
    )
    assert titles(parse(body)) == [
        "AT&T & Verizon",
        "Hello world & co",
        "Fish & Chips",
        "3 < 5 but 7 > 2",
    ]


def test_a_json_feed_title_loses_its_tags() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [{"id": "1", "title": "<b>Bold</b> move", "url": "https://a.example/"}],
    }
    assert titles(parse(json.dumps(document).encode())) == ["Bold move"]


ATOM_ENTRY = "<entry><title type='{type}'>{title}</title><link href='https://a.example/'/></entry>"


def atom(*entries: tuple[str, str]) -> bytes:
    body = "".join(ATOM_ENTRY.format(type=kind, title=title) for kind, title in entries)
    return f"<feed xmlns='http://www.w3.org/2005/Atom'>{body}</feed>".encode()


def test_tag_shaped_text_leaves_every_atom_title_type() -> None:
    body = atom(
        ("text", "&lt;b&gt;Bold&lt;/b&gt; move"),
        ("text", "Unclosed &lt;b onmouseover=x"),
        ("html", "Shown &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; literally"),
        ("html", "&lt;i&gt;Real&lt;/i&gt; markup"),
    )
    assert titles(parse(body)) == ["Bold move", "Unclosed", "Shown literally", "Real markup"]


def test_an_rss_title_that_decodes_to_a_tag_loses_it() -> None:
    body = rss("<title>AT&amp;amp;T &amp;lt;b&amp;gt;news&amp;lt;/b&amp;gt;</title>")
    assert titles(parse(body)) == ["AT&T news"]


def test_hostile_titles_and_links() -> None:
    assert summary(parse(load("hostile_rss.xml"))) == [
        ("Free gift cards", None, utc(2024, 5, 31, 12)),
        ("Click here & win", None, utc(2024, 5, 30, 12)),
        ("gnp.exe and isolated text", None, utc(2024, 5, 29, 12)),
        (
            "Quotes \"in\" the 'link'",
            "https://totally-normal.example/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&x='y'",
            utc(2024, 5, 28, 12),
        ),
        ("Null and bell characters", None, utc(2024, 5, 27, 12)),
        (
            "Raw NUL and BEL bytes",
            "https://totally-normal.example/raw-controls/",
            utc(2024, 5, 26, 12),
        ),
        (
            "Only a script in the title, so this text stands in for it.",
            "https://totally-normal.example/script-only/",
            utc(2024, 5, 25, 12),
        ),
        # The <img onerror> item has nothing left to show and is skipped.
    ]


def test_a_one_megabyte_title_is_capped() -> None:
    words = "lorem ipsum dolor sit amet " * 40_000
    start = time.perf_counter()
    [post] = parse(rss(f"<title>{words}</title>"))
    assert time.perf_counter() - start < 2
    assert len(post.title) <= 200
    assert post.title.endswith("…")
    kept = post.title[:-1]
    assert words.startswith(kept)
    assert words[len(kept)] == " "  # cut between words


def test_untitled_posts_use_the_start_of_their_text() -> None:
    text = "word " * 60
    body = rss(
        f"<description>&lt;p&gt;{text}&lt;/p&gt;</description>",
        "<title></title><description>&lt;p&gt;Short &amp;amp; sweet&lt;/p&gt;</description>",
        "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        "&lt;p&gt;From content:encoded&lt;/p&gt;</content:encoded>",
    )
    assert titles(parse(body)) == [
        ("word " * 19).strip() + "…",
        "Short & sweet",
        "From content:encoded",
    ]
    assert len(titles(parse(body))[0]) <= 100


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "raw_ampersand_rss.xml",
            [
                (
                    "Q&A Night: your questions about sourdough",
                    "https://kitchen.example/?p=42&lang=en",
                ),
                ("AT&T outage & the bread that saved us", "https://kitchen.example/?p=41&lang=en"),
            ],
        ),
        (
            "raw_ampersand_atom.xml",
            [
                ("Q&A Night: the spring edition", "https://qa.example/2024/q-a-night?x=1&y=2"),
                ("Salt & pepper, R&D style", "https://qa.example/2024/salt"),
            ],
        ),
        (
            "html_entities_rss.xml",
            [
                ("Café Q&A — the “flat white” question…", "https://cafe.example/flat-white/"),
                ("Espresso &c ½ price €", "https://cafe.example/espresso/"),
            ],
        ),
        (
            "junk_before_declaration_rss.xml",
            [
                ("Q&A Night: PHP warnings and you", "https://old.example/warnings/"),
                ("Before the warnings", "https://old.example/before/"),
            ],
        ),
        (
            "unclosed_br_rss.xml",
            [
                ("Q&A Night: line breaks", "https://hand.example/breaks/"),
                ("An older note", "https://hand.example/older/"),
            ],
        ),
    ],
)
def test_titles_come_out_as_the_author_wrote_them(
    name: str, expected: list[tuple[str, str]]
) -> None:
    # feedparser's lenient parser gives "Q&A; Night" for a raw "&A" and drops "&nbsp;" words.
    assert [(post.title, post.link) for post in parse(load(name))] == expected


def test_titles_without_words_fall_back_to_the_text() -> None:
    assert titles(parse(load("wordless_titles_rss.xml"))) == [
        "Sunset over the harbour, shot on film",  # only an image
        "Morning fog on the river",  # " - "
        "Rain, again",  # "…"
        "Snow in May",  # blank
        "🌅",  # an emoji says something
    ]
    assert titles(parse(rss("<title>-</title>"))) == ["-"]  # no text: the title as it is


def test_posts_with_neither_title_nor_text_are_skipped() -> None:
    body = rss(
        "<link>https://site.example/a</link>",
        "<title> </title><description>&lt;img src='x.jpg'&gt;</description>",
        "<title>Kept</title>",
    )
    assert titles(parse(body)) == ["Kept"]


def test_a_feed_of_unusable_entries_has_no_posts() -> None:
    with pytest.raises(NoPosts):
        parse(rss("<link>https://site.example/a</link>", "<description> </description>"))


# Links


def test_alternate_html_link_is_preferred() -> None:
    # Blogger lists rel="replies" (also text/html), edit and self links before the alternate.
    [first, _] = parse(load("blogger_atom.xml"))
    assert first.link == (
        "https://purlbeforeswine.blogspot.com/2024/05/free-pattern-rainy-day-cowl.html"
    )


def test_relative_links_resolve_against_the_feed_url() -> None:
    posts = parse(
        load("undated_rss.xml"), feed_url="https://margaretsgarden.example.co.uk/feeds/rss.xml"
    )
    assert [post.link for post in posts] == [
        "https://margaretsgarden.example.co.uk/diary/broad-beans.html",
        "https://margaretsgarden.example.co.uk/feeds/diary/slugs-3.html",
        "http://margaretsgarden.example.co.uk/diary/welcome.html",
    ]


def test_xml_base_is_honoured() -> None:
    posts = parse(load("atom_title_types.xml"), feed_url="https://elsewhere.example/atom")
    assert [post.link for post in posts][:2] == [
        "https://typesetter.example/blog/bold-moves/",
        "https://typesetter.example/blog/ligatures/",
    ]


def test_unsafe_links_are_dropped_and_the_post_kept() -> None:
    body = rss(
        "<title>js</title><link>javascript:alert(1)</link>",
        "<title>data</title><link>data:text/html,hi</link>",
        "<title>mail</title><link>mailto:me@example.com</link>",
        "<title>file</title><link>file:///etc/passwd</link>",
        "<title>none</title>",
    )
    assert summary(parse(body)) == [
        ("js", None, None),
        ("data", None, None),
        ("mail", None, None),
        ("file", None, None),
        ("none", None, None),
    ]


# Encodings


def test_windows_1252_declared_in_the_xml_prolog() -> None:
    assert titles(parse(load("windows1252_rss.xml"))) == [
        "MARKETING MÓVIL Estadísticas y Estrategias",
        "“Comillas tipográficas” y el símbolo del €",
    ]


@pytest.mark.parametrize(
    "content_type",
    ["application/rss+xml; charset=ISO-8859-1", 'text/xml;charset="iso-8859-1"', None],
)
def test_latin_1_declared_by_the_http_header_only(content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else None
    # Without the header the UTF-8 attempt fails and windows-1252 (a superset) is used.
    assert titles(parse(load("latin1_header_only_rss.xml"), headers=headers)) == [
        "Crème brûlée à la lavande"
    ]


def test_utf_8_with_a_bom() -> None:
    headers = {"content-type": "application/atom+xml; charset=iso-8859-1"}  # the BOM wins
    assert titles(parse(load("utf8_bom_atom.xml"), headers=headers)) == [
        "Žluťoučký kůň a jiné pangramy"
    ]


def test_utf_16_with_a_bom() -> None:
    headers = {"content-type": "application/rss+xml; charset=utf-8"}  # the BOM wins
    assert titles(parse(load("utf16_rss.xml"), headers=headers)) == [
        "東京で一番おいしいラーメン屋",
        "梅雨の準備",
    ]


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
def test_utf_16_and_32_without_a_bom(codec: str) -> None:
    text = load("utf16_rss.xml")[2:].decode("utf-16-le")
    assert titles(parse(text.encode(codec)))[0] == "東京で一番おいしいラーメン屋"


def test_http_charset_wins_over_the_xml_declaration() -> None:
    # UTF-8 bytes, a stale encoding="ISO-8859-1" declaration and a correct header.
    headers = {"content-type": "application/rss+xml; charset=UTF-8"}
    assert titles(parse(load("charset_conflict_rss.xml"), headers=headers)) == [
        "Käsekuchen nach Omas Rezept – endlich verraten"
    ]


def test_a_wrong_http_charset_that_cannot_decode_falls_back_to_the_declaration() -> None:
    text = load("charset_conflict_rss.xml").decode("utf-8").replace("–", "-")
    headers = {"content-type": "text/xml; charset=utf-8"}
    assert titles(parse(text.encode("latin-1"), headers=headers)) == [
        "Käsekuchen nach Omas Rezept - endlich verraten"
    ]


def test_utf_8_mislabelled_as_latin_1_is_repaired_by_feedparser() -> None:
    # Latin-1 decodes any byte, so the header wins and yields mojibake; feedparser undoes
    # UTF-8-read-as-Latin-1 text element by element.
    headers = {"content-type": "application/rss+xml; charset=ISO-8859-1"}
    body = load("charset_conflict_rss.xml").replace(b"ISO-8859-1", b"UTF-8")
    assert titles(parse(body, headers=headers)) == [
        "Käsekuchen nach Omas Rezept – endlich verraten"
    ]


def test_a_utf_16_label_on_an_ascii_compatible_body_is_ignored() -> None:
    body = load("charset_conflict_rss.xml").replace(b"ISO-8859-1", b"UTF-16")
    headers = {"content-type": "application/xml; charset=utf-16"}
    assert titles(parse(body, headers=headers)) == [
        "Käsekuchen nach Omas Rezept – endlich verraten"
    ]


def test_a_body_cut_inside_a_utf_8_character() -> None:
    body = rss("<title>Žluťoučký kůň</title>", "<title>Ž</title>")
    cut = body[: body.rindex("Ž".encode()) + 1]
    assert titles(parse(cut))[0] == "Žluťoučký kůň"


# Security


def test_billion_laughs_is_not_expanded() -> None:
    start = time.perf_counter()
    posts = parse(load("billion_laughs.xml"))
    assert time.perf_counter() - start < 1
    assert titles(posts) == ["Laughing &lol9; out loud"]


def test_external_entities_are_not_resolved() -> None:
    start = time.perf_counter()
    posts = parse(load("external_entity.xml"))
    assert time.perf_counter() - start < 1
    assert titles(posts) == ["Server says: &xxe;&remote;"]
    assert "root:" not in posts[0].title


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-32"])
def test_a_big_internal_entity_referenced_many_times_is_not_expanded(codec: str) -> None:
    # feedparser's lenient parser keeps plain-string entities and expands them without limit
    # (100 kB × 1,000 references: 100 MB, about 6 s). It only spots declarations at the start
    # of a line, and <broken> makes the strict parser give up.
    entity = "A" * 100_000
    text = (
        f'<?xml version="1.0" encoding="{codec}"?>\n<!DOCTYPE rss [\n<!ENTITY big "{entity}">\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        f"<description>{'&big;' * 1_000}</description><broken></item></channel></rss>"
    )
    start = time.perf_counter()
    posts = parse(text.encode(codec))  # Python's UTF-16/32 encoders write a BOM
    assert time.perf_counter() - start < 1
    assert titles(posts) == ["x"]


def test_a_doctype_spelled_in_utf_7_is_removed_too() -> None:
    # In UTF-7 "<!DOCTYPE" need not contain a single "<" byte; a bytes scan would miss it.
    body = (
        b'<?xml version="1.0" encoding="utf-7"?>\n'
        b'+ADwAIQ-DOCTYPE rss [\n+ADwAIQ-ENTITY a "AAAA">\n]>\n'
        b'<rss version="2.0"><channel><item><title>a&a;a</title></item></channel></rss>'
    )
    assert "<!DOCTYPE rss [\n<!ENTITY" in body.decode("utf-7")
    posts = parse(body, headers={"content-type": "application/rss+xml; charset=utf-7"})
    assert titles(posts) == ["a&a;a"]


def test_entity_declarations_hidden_in_a_prolog_comment_are_removed() -> None:
    # feedparser's own DOCTYPE regex also looks inside comments before the root element.
    body = (
        b'<?xml version="1.0"?><!--\n<!DOCTYPE x>\n<!ENTITY a "AAAAAAAAAA">\n-->'
        b'<rss version="2.0"><channel><item><title>a&a;a</title></item></channel><oops></rss>'
    )
    assert titles(parse(body)) == ["a&a;a"]


def test_a_doctype_after_the_root_element_is_not_honoured() -> None:
    body = (
        b'<rss version="2.0"><!DOCTYPE x [<!ENTITY a "AAAAAAAAAA">]>'
        b"<channel><item><title>a&a;a</title></item></channel></rss>"
    )
    assert titles(parse(body)) == ["a&a;a"]


def test_an_unclosed_doctype_swallows_the_document() -> None:
    body = b'<!DOCTYPE rss [<!ENTITY a "x">\n<rss version="2.0"><channel><item><title>t</title>'
    with pytest.raises(FeedError):
        parse(body)


# Recovery from what crashes feedparser


def test_invalid_character_references_do_not_sink_the_feed() -> None:
    # Each of these crashes feedparser's lenient parser when left in.
    body = rss(
        "<title>Party &#xD83C;&#xDF89; time</title>",
        "<title>Huge &#x110000; &#99999999999999999999; refs</title>",
        "<title>Lone &#xD800; surrogate &#0; and &#x1F600;</title>",
        "<title>broken <b>markup</title>",
    )
    assert titles(parse(body)) == [
        "Party 🎉 time",
        "Huge refs",
        "Lone surrogate and 😀",
        "broken markup",
    ]


def test_junk_before_the_xml_declaration() -> None:
    body = b"\n\n  " + load("wordpress_rss2.xml")
    assert len(parse(body)) == 3
    warning = b"<br />\n<b>Warning</b>:  Cannot modify header information in functions.php<br />\n"
    assert titles(parse(warning + load("wordpress_rss2.xml")))[0] == (
        "Addictions…You Can Overcome Them"
    )


# Errors


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n\t", load("html_page.html"), load("garbage_gzipped_feed.bin"), b"\x00" * 64],
    ids=["empty", "whitespace", "html-page", "gzip", "nul-bytes"],
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError) as info:
        parse(body)
    assert type(info.value) is FeedError
    assert info.value.url == FEED_URL


def test_a_feed_without_entries_has_no_posts() -> None:
    with pytest.raises(NoPosts) as info:
        parse(load("empty_channel_rss.xml"))
    assert info.value.kind == "no_posts"


def test_an_atom_feed_without_entries_has_no_posts() -> None:
    body = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Nothing yet</title></feed>'
    with pytest.raises(NoPosts):
        parse(body)


def test_importing_the_module_does_not_import_feedparser_or_lxml() -> None:
    code = (
        "import sys, commentluv._feeds; print('feedparser' in sys.modules or 'lxml' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip() == "False"


# Properties: whatever the bytes, a FeedError or clean posts

FIXTURE_BODIES = [path.read_bytes() for path in sorted(FIXTURES.iterdir())]


def check_posts(body: bytes) -> None:
    try:
        posts = parse(body)
    except FeedError:
        return
    assert posts
    for post in posts:
        assert post.title
        assert post.title == post.title.strip()
        assert not FORBIDDEN_IN_TITLES.search(post.title), post.title
        assert post.link is None or post.link.startswith(("http://", "https://"))
        assert post.published is None or post.published.tzinfo is not None
        assert (post.feed_url, post.site_url) == (FEED_URL, SITE_URL)
    dates = [post.published for post in posts]
    dated = [date for date in dates if date is not None]
    assert dates[: len(dated)] == sorted(dated, reverse=True)


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(FIXTURE_BODIES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        operation = draw(st.sampled_from(["truncate", "flip", "delete", "splice"]))
        if operation == "truncate":
            del body[at:]
        elif operation == "flip" and at < len(body):
            body[at] ^= draw(st.integers(1, 255))
        elif operation == "delete":
            del body[at : at + draw(st.integers(1, 64))]
        else:
            donor = draw(st.sampled_from(FIXTURE_BODIES))
            start = draw(st.integers(0, len(donor)))
            body[at:at] = donor[start : start + draw(st.integers(1, 200))]
    return bytes(body)


@given(st.binary(max_size=2048))
def test_random_bytes_give_a_feed_error_or_clean_posts(body: bytes) -> None:
    check_posts(body)


@given(mutated_fixtures())
def test_mutated_feeds_give_a_feed_error_or_clean_posts(body: bytes) -> None:
    check_posts(body)


# Limits


def test_a_limit_keeps_the_newest_posts() -> None:
    posts = parse_posts(
        load("oldest_first_rss.xml"), feed_url=FEED_URL, site_url=SITE_URL, now=NOW, limit=2
    )
    assert posts == parse(load("oldest_first_rss.xml"))[:2]


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        parse_posts(load("ghost_rss.xml"), feed_url=FEED_URL, site_url=SITE_URL, limit=limit)
