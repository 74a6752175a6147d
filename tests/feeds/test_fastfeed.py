"""Tests for the streaming reader (commentluv._feeds.FeedReader): same posts as feedparser,
early stopping, safe fallbacks."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv._feeds import MIN_WINDOW, FeedReader, parse_posts
from commentluv.models import Post
from tests.support import ROOT

FIXTURES = sorted(
    [
        *(ROOT / "tests" / "fixtures" / "feeds").iterdir(),
        *(ROOT / "tests" / "fixtures" / "pages").glob("feed_*"),
        ROOT / "examples" / "sample-site" / "feed.xml",
    ]
)
# Fixtures the fast path must answer itself (the others are feedparser's on purpose).
FAST = {
    "feed.xml", "future_dated_rss.xml", "ghost_rss.xml", "hugo_index.xml", "medium_rss.xml",
    "movabletype_rss10.rdf", "oldest_first_rss.xml", "substack_rss.xml", "tumblr_rss.xml",
    "undated_rss.xml", "utf8_bom_atom.xml", "wordpress_comments.xml", "wordpress_rss2.xml",
    "blogger_atom.xml", "feed_atom.xml", "feed_atom_prefixed.xml", "feed_rss_cdata.xml",
    "localized_de_rss.xml", "slashed_dates_rss.xml",
}  # fmt: skip
FEED_URL = "https://feeds.example/feed/"
SITE_URL = "https://site.example/"
NOW = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
KB = 1024


def summary(posts: list[Post]) -> list[tuple[str, str | None, datetime | None]]:
    return [(post.title, post.link, post.published) for post in posts]


def outcome(body: bytes, limit: int | None) -> object:
    """Posts as (title, link, date), or the error type."""
    try:
        return summary(
            parse_posts(body, feed_url=FEED_URL, site_url=SITE_URL, now=NOW, limit=limit)
        )
    except Exception as exc:
        return type(exc)


def fast(body: bytes, limit: int | None = None) -> list[Post] | None:
    return reader(limit).read(body)


def reader(limit: int | None = 1) -> FeedReader:
    return FeedReader(feed_url=FEED_URL, site_url=SITE_URL, now=NOW, limit=limit)


def big_rss(items: int, *, oldest_first: bool = False, dated: bool = True) -> bytes:
    """A full-content RSS feed: ``items`` posts of about 2 KB each, a day apart."""
    newest = datetime(2024, 5, 31, 9, tzinfo=timezone.utc)
    order = range(items - 1, -1, -1) if oldest_first else range(items)
    parts = []
    for n in order:
        date = (newest - timedelta(days=n)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        parts.append(
            f"<item><title>Post number {items - n}</title>"
            f"<link>https://site.example/{items - n}/</link>"
            + (f"<pubDate>{date}</pubDate>" if dated else "")
            + f"<description>&lt;p&gt;{'Full text of the post. ' * 80}&lt;/p&gt;</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>https://site.example/</link>{''.join(parts)}</channel></rss>"
    ).encode()


def feed_in_chunks(feed_reader: FeedReader, body: bytes, size: int = 16 * KB) -> None:
    for start in range(0, len(body), size):
        feed_reader.feed(body[start : start + size])
        if feed_reader.done:
            return
    feed_reader.close()


# Same answers as feedparser


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
@pytest.mark.parametrize("limit", [None, 1, 3])
def test_same_posts_as_feedparser(path: Path, limit: int | None, monkeypatch) -> None:
    body = path.read_bytes()
    answer = outcome(body, limit)
    monkeypatch.setattr(FeedReader, "read", lambda self, body: None)
    assert answer == outcome(body, limit)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_the_fast_path_answers_the_plain_platform_feeds(path: Path) -> None:
    assert (fast(path.read_bytes()) is not None) == (path.name in FAST)


def test_a_big_feed_gives_the_same_posts_as_feedparser(monkeypatch) -> None:
    body = big_rss(60)
    answers = [outcome(body, limit) for limit in (None, 1, 50)]
    monkeypatch.setattr(FeedReader, "read", lambda self, body: None)
    assert answers == [outcome(body, limit) for limit in (None, 1, 50)]


# Early stopping


def test_a_2_mb_feed_is_answered_from_its_first_items() -> None:
    body = big_rss(1_000)
    assert len(body) > 2_000_000
    feed_reader = reader(limit=1)
    feed_in_chunks(feed_reader, body)
    assert feed_reader.done
    assert not feed_reader.failed
    assert feed_reader.bytes_read <= 256 * KB
    assert summary(feed_reader.result or []) == [
        (
            "Post number 1000",
            "https://site.example/1000/",
            datetime(2024, 5, 31, 9, tzinfo=timezone.utc),
        )
    ]


def test_early_stopping_waits_for_a_full_window() -> None:
    body = big_rss(MIN_WINDOW + 5)
    posts = fast(body, limit=3) or []
    assert [post.title for post in posts] == [f"Post number {MIN_WINDOW + 5 - n}" for n in range(3)]


def test_a_limit_over_the_window_reads_that_many_items() -> None:
    feed_reader = reader(limit=40)
    feed_in_chunks(feed_reader, big_rss(1_000))
    assert feed_reader.result is not None
    assert len(feed_reader.result) == 40
    assert feed_reader.bytes_read <= 256 * KB


@pytest.mark.parametrize(
    "body",
    [big_rss(200, oldest_first=True), big_rss(200, dated=False)],
    ids=["oldest-first", "undated"],
)
def test_oldest_first_or_undated_feeds_are_read_to_the_end(body: bytes) -> None:
    feed_reader = reader(limit=1)
    feed_in_chunks(feed_reader, body)
    assert feed_reader.bytes_read == len(body)
    expected = outcome(body, None)
    assert isinstance(expected, list)
    assert summary(feed_reader.result or []) == expected[:1]


def test_a_newer_post_after_the_window_is_found_when_the_window_is_not_ordered() -> None:
    body = big_rss(MIN_WINDOW + 20)
    # Swap the first two items: the feed is not newest first, so it is read to the end.
    first, second, rest = body.split(b"<item>", 3)[1:]
    body = body.split(b"<item>")[0] + b"<item>" + second + b"<item>" + first + b"<item>" + rest
    feed_reader = reader(limit=1)
    feed_in_chunks(feed_reader, body)
    assert feed_reader.bytes_read == len(body)


@pytest.mark.parametrize("limit", [None, 2, MIN_WINDOW + 1])
def test_posts_of_one_date_keep_their_document_order(limit: int | None) -> None:
    item = (
        "<item><title>Post {}</title><link>https://site.example/{}/</link>"
        "<pubDate>{}</pubDate></item>"
    )
    dates = ["Sat, 01 Jun 2024 10:00:00 GMT"] * 3 + ["Fri, 31 May 2024 10:00:00 GMT"] * 2
    items = "".join(item.format(n, n, date) for n, date in enumerate(dates))
    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    posts = fast(body, limit) or []
    assert [post.title for post in posts] == [f"Post {n}" for n in range(5)][:limit]
    assert summary(posts) == outcome(body, limit)  # the fast path's answer, and feedparser's
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FeedReader, "read", lambda self, body: None)
        assert summary(posts) == outcome(body, limit)


def test_the_reader_is_the_http_layers_stop_callback() -> None:
    body = big_rss(1_000)
    feed_reader = reader(limit=1)
    received = bytearray()
    for start in range(0, len(body), 16 * KB):
        received += body[start : start + 16 * KB]
        if feed_reader("https://feeds.example/feed/", received):
            break
    assert feed_reader.result is not None
    assert len(received) <= 256 * KB


def test_the_stop_callback_takes_the_final_url_and_the_charset_of_the_response() -> None:
    body = big_rss(20).replace(b"https://site.example/1/", b"/1/")
    feed_reader = reader(limit=None)
    moved = "https://moved.example/feed/"
    feed_reader(moved, bytearray(body), {"Content-Type": "application/rss+xml; charset=UTF-8"})
    assert feed_reader.close() is not None
    assert feed_reader.feed_url == moved
    assert (feed_reader.result or [])[-1].link == "https://moved.example/1/"
    latin = reader(limit=None)
    # Declined, not answered: the download must go on, the fallback reads the whole body.
    assert not latin(moved, bytearray(body), {"Content-Type": "text/xml; charset=ISO-8859-1"})
    assert latin.failed


def test_the_fast_path_is_much_cheaper_than_feedparser(monkeypatch) -> None:
    body = big_rss(1_000)
    start = time.process_time()
    fast(body, limit=1)
    fast_cpu = time.process_time() - start
    monkeypatch.setattr(FeedReader, "read", lambda self, body: None)
    start = time.process_time()
    outcome(body, 1)
    slow_cpu = time.process_time() - start
    assert fast_cpu * 20 < slow_cpu  # 50x and more in the benchmark; slack for busy CI


# Fallbacks and safety


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "x">]><rss><channel>'
        b"<item><title>&e;</title><link>https://a.example/</link></item></channel></rss>",
        b"<rss><channel><item><title>&nbsp;x</title><link>https://a.example/</link>"
        b"</item></channel></rss>",
        b'<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><item><title>caf\xe9</title>'
        b"<link>https://a.example/</link></item></channel></rss>",
        b"<rss><channel><item><title>AT&amp;amp;T</title><link>https://a.example/</link>"
        b"</item></channel></rss>",
        b"<rss><channel><item><title>x</title><link>https://a.example/</link>"
        b"<media:group xmlns:media='http://search.yahoo.com/mrss/'><media:title>y</media:title>"
        b"</media:group></item></channel></rss>",
        b"<rss><channel><item><guid>https://a.example/g</guid><title>x</title>"
        b"<link>https://a.example/</link></item></channel></rss>",
        b"<rss><channel><item><title>x</title><link>https://a.example/</link>"
        b"<pubDate>Sat, 01 Jun 2024 10:00:00 GMT</pubDate><pubDate>Sun, 02 Jun 2024 10:00:00 GMT"
        b"</pubDate></item></channel></rss>",
        b"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='https://b.example/'><entry>"
        b"<title>x</title><link href='/a'/></entry></feed>",
        b"<rss><channel><item><title>cut",
    ],
    ids=["dtd", "undefined-entity", "latin-1", "markup-title", "media-title", "guid-first",
         "two-dates", "xml-base", "truncated"],
)  # fmt: skip
def test_what_the_fast_path_does_not_understand_goes_to_feedparser(body: bytes) -> None:
    assert fast(body) is None


# Items of one shape (the same child tags) share the reader's plan of where their fields are:
# what depends on content must still be checked on every item. Each pair: an item the fast
# path reads, then one of the same shape that it must not.
SAME_SHAPE = "<item><title>{}</title><link>{}</link><guid isPermaLink='{}'>g</guid>{}</item>"
SAME_SHAPE_ATOM = "<entry><title type='{}'>x</title><link type='{}' href='{}'/></entry>"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (SAME_SHAPE.format("x", "https://a.example/1", "true", "<c/>"),
         SAME_SHAPE.format("&lt;b>x", "https://a.example/2", "true", "<c/>")),
        (SAME_SHAPE.format("x", "https://a.example/1", "false", "<c/>"),
         SAME_SHAPE.format("x", " ", "false", "<c/>")),
        (SAME_SHAPE.format("x", "https://a.example/1", "true", "<c/>"),
         SAME_SHAPE.format("x", "https://a.example/2", "true", "<c><title>y</title></c>")),
        (SAME_SHAPE.format("x", "https://a.example/1", "true", "<c><d/></c>"),
         SAME_SHAPE.format("x", "https://a.example/2", "true", "<c><d><!-- x --></d></c>")),
        (SAME_SHAPE.format("x", "https://a.example/1", "true", "<c/>"),
         SAME_SHAPE.format("x<b/>", "https://a.example/2", "true", "<c/>")),
        (SAME_SHAPE_ATOM.format("text", "text/html", "https://a.example/1"),
         SAME_SHAPE_ATOM.format("application/octet-stream", "text/html", "https://a.example/2")),
        (SAME_SHAPE_ATOM.format("text", "text/html", "https://a.example/1"),
         SAME_SHAPE_ATOM.format("text", "html", "https://a.example/2")),
        (SAME_SHAPE_ATOM.format("text", "text/html", "https://a.example/1"),
         SAME_SHAPE_ATOM.format("text", "text/html", "")),
    ],
    ids=["markup-title", "empty-link", "nested-title", "nested-comment", "title-with-child",
         "atom-title-type", "atom-link-type", "atom-empty-href"],
)  # fmt: skip
def test_every_item_of_a_shape_has_its_content_checked(first: str, second: str) -> None:
    if first.startswith("<entry>"):
        wrap = "<feed xmlns='http://www.w3.org/2005/Atom'>{}</feed>"
    else:
        wrap = "<rss><channel>{}</channel></rss>"
    assert fast(wrap.format(first).encode()) is not None
    assert fast(wrap.format(first + second).encode()) is None
    assert fast(wrap.format(second + first).encode()) is None


def test_a_permalink_guid_before_the_link_is_checked_on_every_item() -> None:
    item = (
        "<item><title>x</title><guid isPermaLink='{}'>https://g.example/</guid>"
        "<link>{}</link></item>"
    )
    first = item.format("false", "https://a.example/1")
    second = item.format("true", "https://a.example/2")
    assert fast(f"<rss><channel>{first}</channel></rss>".encode()) is not None
    assert fast(f"<rss><channel>{first}{second}</channel></rss>".encode()) is None


def test_items_of_many_shapes_are_read_and_few_plans_kept() -> None:
    items = "".join(
        f"<item><title>Post {n}</title>{'<x/>' * 7 * n}<link>https://site.example/{n}/</link>"
        "</item>"
        for n in range(39, -1, -1)  # 40 shapes, the first ones of more than 256 children
    )
    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    feed_reader = reader(limit=None)
    posts = feed_reader.read(body) or []
    assert [post.title for post in posts] == [f"Post {n}" for n in range(39, -1, -1)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FeedReader, "read", lambda self, body: None)
        assert summary(posts) == outcome(body, None)
    plans = feed_reader._plans
    assert 0 < len(plans) <= 32 and all(len(tags) <= 256 for tags in plans)


@pytest.mark.parametrize("cut", range(1, len("xml:base")))
def test_xml_base_cut_between_two_chunks_still_goes_to_feedparser(cut: int) -> None:
    body = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>x</title>"
        b"<link xml:base='https://b.example/' href='/a'/></entry></feed>"
    )
    edge = body.index(b"xml:base") + cut
    feed_reader = reader()
    feed_reader.feed(body[:edge])
    feed_reader.feed(body[edge:])
    assert feed_reader.close() is None and feed_reader.failed
    assert outcome(body, 1) == [("x", "https://b.example/a", None)]  # feedparser's answer


def test_xml_base_trickled_a_byte_at_a_time_still_goes_to_feedparser() -> None:
    body = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>x</title>"
        b"<link xml:base='https://b.example/' href='/a'/></entry></feed>"
    )
    feed_reader = reader()
    for at in range(len(body)):
        feed_reader.feed(body[at : at + 1])
    assert feed_reader.close() is None and feed_reader.failed


def test_odd_dates_go_through_feedparsers_date_parser() -> None:
    body = (
        b"<rss><channel><item><title>x</title><link>https://a.example/</link>"
        b"<pubDate>Sat, 1 Jun 2024 10:00 EST</pubDate></item></channel></rss>"
    )
    [post] = fast(body) or []
    assert post.published == datetime(2024, 6, 1, 15, tzinfo=timezone.utc)


# Differential fuzzing: generated feeds, fast path on and off

# Titles made of pieces feedparser may read as markup, entities or whitespace; plain ones
# (which the fast path answers itself) are drawn as often as tricky ones.
PLAIN = st.builds(
    "".join, st.lists(st.sampled_from([*"ab Z09;#>/\"'é…\t", " & "]), min_size=1, max_size=30)
).map(lambda text: "A" + text)
TRICKY = st.lists(
    st.sampled_from([*"ab <&;#", "&amp;", "<b>", "</b>", "&#38;", "&lt;", "&copy"]), max_size=30
).map("".join)
DATES = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1999, 1, 1),
        max_value=datetime(2030, 1, 1),
        timezones=st.just(timezone.utc),
    ).flatmap(
        lambda moment: st.sampled_from(
            [
                moment.strftime("%a, %d %b %Y %H:%M:%S GMT"),
                moment.strftime("%a, %d %b %Y %H:%M:%S +0200"),
                moment.strftime("%d %b %Y %H:%M:%S -0530"),
                moment.strftime("%a, %d %b %Y %H:%M EST"),
                moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                moment.strftime("%Y-%m-%dT%H:%M:%S.123+01:00"),
                moment.strftime("%Y-%m-%d"),
                "not a date",
            ]
        )
    ),
)
LINKS = st.sampled_from(
    [
        "https://a.example/p?x=1&y=2",
        "/relative/",
        "rel",
        " https://b.example/ ",
        "javascript:x",
        "ftp://c.example/",
    ]
)
TRICKY_LINKS = st.sampled_from(["", "http:///triple", "https://a.example/#frag"])


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def generated_feeds(draw: st.DrawFn) -> bytes:
    atom, tricky = draw(st.booleans()), draw(st.booleans())
    items = []
    for _ in range(draw(st.integers(1, 14))):
        title = draw(st.one_of(PLAIN, TRICKY) if tricky else PLAIN)
        link = draw(st.one_of(LINKS, TRICKY_LINKS) if tricky else LINKS)
        date = draw(DATES)
        date_tag = ("published" if atom else "pubDate") if draw(st.booleans()) else "dc:date"
        parts = [f"<title>{escape(title)}</title>"]
        if atom:
            parts.append(f"<link rel='alternate' href='{escape(link)}'/>")
        else:
            parts.append(f"<link>{escape(link)}</link>")
            if tricky and draw(st.booleans()):
                parts.insert(draw(st.integers(0, 2)), "<guid>https://g.example/</guid>")
        if date is not None:
            parts.append(f"<{date_tag}>{escape(date)}</{date_tag}>")
        items.append("".join(draw(st.permutations(parts))))
    namespaces = "xmlns:dc='http://purl.org/dc/elements/1.1/'"
    if atom:
        entries = "".join(f"<entry>{item}</entry>" for item in items)
        document = f"<feed xmlns='http://www.w3.org/2005/Atom' {namespaces}>{entries}</feed>"
    else:
        body = "".join(f"<item>{item}</item>" for item in items)
        document = (
            f"<rss version='2.0' {namespaces}><channel><title>t</title>{body}</channel></rss>"
        )
    return ("<?xml version='1.0' encoding='utf-8'?>" + document).encode()


@given(generated_feeds(), st.sampled_from([None, 1, 3]))
def test_generated_feeds_give_the_same_posts_as_feedparser(body: bytes, limit: int | None) -> None:
    answer = outcome(body, limit)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FeedReader, "read", lambda self, body: None)
        assert answer == outcome(body, limit)
