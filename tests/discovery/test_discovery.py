"""Tests for commentluv._discovery: feed sniffing, head detection, link ranking, guesses."""

from __future__ import annotations

import codecs
import json
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv._discovery import (
    Candidate,
    PageLinks,
    find_feed_links,
    guess_feed_urls,
    html_head_end,
    sniff_feed,
)
from tests.support import FIXTURES

PAGES = FIXTURES / "pages"


def fixture(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def feed_urls(links: PageLinks) -> list[str]:
    return [candidate.url for candidate in links.feeds]


def anchor_urls(links: PageLinks) -> list[str]:
    return [candidate.url for candidate in links.anchors]


def html_with_links(*links: str, body: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{''.join(links)}</head><body>{body}</body></html>"


def rss_link(href: str, title: str = "", media_type: str = "application/rss+xml") -> str:
    return f'<link rel="alternate" type="{media_type}" title="{title}" href="{href}">'


# ---------------------------------------------------------------------------------------------
# sniff_feed


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("feed_rss_cdata.xml", "application/rss+xml; charset=UTF-8", "rss"),
        ("feed_rss_cdata.xml", "text/html", "rss"),  # CDATA holding <html> is still RSS
        ("feed_atom.xml", "application/atom+xml", "atom"),
        ("feed_atom_prefixed.xml", "application/xml", "atom"),
        ("feed_rdf.xml", "application/rdf+xml", "rdf"),
        ("feed_foaf.rdf", "application/rdf+xml", None),  # RDF, but no RSS 1.0 channel
        ("feed_jsonfeed.json", "application/json", "json"),  # "version" is the last key
        ("feed_jsonfeed.json", None, "json"),
        ("feed_html_as_xml.html", "text/xml", None),
        ("feed_soft404.html", "text/html; charset=UTF-8", None),
        ("feed_soft404.html", "application/rss+xml", None),
        ("feed_rss_text_plain.xml", "text/plain", "rss"),  # RSS 0.91 with a DOCTYPE
        ("feed_rss_php_warning.xml", "text/html", "rss"),
        ("wordpress.html", "text/html", None),
    ],
)
def test_sniff_feed_fixtures(name: str, content_type: str | None, expected: str | None) -> None:
    assert sniff_feed(fixture(name), content_type) == expected


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (b"", "utf-16-le"),  # no BOM: told apart by the zero bytes around "<"
        (b"", "utf-16-be"),
        (b"", "utf-32-le"),
    ],
)
def test_sniff_feed_unicode_encodings(bom: bytes, codec: str) -> None:
    atom = fixture("feed_atom.xml").decode("utf-8").replace('encoding="utf-8"', "")
    assert sniff_feed(bom + atom.encode(codec)) == "atom"
    jsonfeed = fixture("feed_jsonfeed.json").decode("utf-8")
    assert sniff_feed(bom + jsonfeed.encode(codec)) == "json"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n\t ",
        b"Not Found",
        b"<p>Here is an example: <rss version='2.0'><channel></channel></rss></p>",
        b"<!DOCTYPE html><title>x</title><?xml version='1.0'?><rss version='2.0'>",
        b"<?xml version='1.0'?><channel><title>RSS 0.9-ish</title></channel>",
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
        b'<?xml version="1.0"?><x:feed xmlns:x="http://example.com/not-atom"/>',
        b"<?xml version='1.0'",  # unterminated declaration
        b"<!-- never closed <rss>",
        b"\xff\xfe\x00\x00\x00\xd8\x00\x00",  # UTF-32 BOM then an invalid code point
        b"\x00<\x00",
    ],
)
def test_sniff_feed_rejects_non_feeds(body: bytes) -> None:
    assert sniff_feed(body) is None


def test_sniff_feed_json_rules() -> None:
    version_first = b'{"version": "https://jsonfeed.org/version/1", "title": "T", "items": ['
    assert sniff_feed(version_first + b'{"id": "1", "content_text": "cut off') == "json"
    truncated = b'{"title": "T", "items": [{"id": "1", "content_text": "cut off'
    assert sniff_feed(truncated, "application/feed+json") == "json"
    assert sniff_feed(truncated, "application/json") is None
    assert sniff_feed(b'{"version": "1.1", "items": []}') is None
    assert sniff_feed(b'{"items": [{"version": "https://jsonfeed.org/version/1"}]}') is None
    assert sniff_feed(b'{"name": "package", "version": "2.0.0"}', "application/json") is None
    assert sniff_feed(b'{"a":' * 100_000) is None  # too deep for json.loads: no RecursionError


def test_sniff_feed_large_json_scans_the_tail() -> None:
    document = {"items": [{"id": "1", "content_text": "x" * 2_200_000}], "title": "Big"}
    document["version"] = "https://jsonfeed.org/version/1.1"
    assert sniff_feed(json.dumps(document).encode()) == "json"


# ---------------------------------------------------------------------------------------------
# html_head_end


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html><head><title>x</title></head><body>", len(b"<html><head><title>x</title></head>")),
        (b"<HTML><HEAD></HEAD >", len(b"<HTML><HEAD></HEAD >")),
        (b"<html><head>\n</head\n>", len(b"<html><head>\n</head\n>")),
        (b"<html><head><title>x</title><body class=a>", len(b"<html><head><title>x</title>")),
        (b"<title>x</title><BODY>", len(b"<title>x</title>")),
        (b"<html><head><link rel=x>", None),
        (b"<html><head><header></header><bodyguard>", None),
        (b"<html><head></he", None),
        (b"", None),
    ],
)
def test_html_head_end(body: bytes, expected: int | None) -> None:
    assert html_head_end(body) == expected


def test_html_head_end_on_a_growing_buffer() -> None:
    page = fixture("wordpress.html")
    whole = html_head_end(page)
    assert whole is not None
    assert page[:whole].endswith(b"</head>")
    buffer, searched, found = b"", 0, None
    for offset in range(0, len(page), 97):  # "</head>" ends up split across two reads
        buffer += page[offset : offset + 97]
        found = html_head_end(buffer, start=max(searched - 16, 0))
        if found is not None:
            break
        searched = len(buffer)
    assert found == whole
    assert html_head_end(page[:whole], start=whole) is None
    assert html_head_end(page, -5) == whole


# ---------------------------------------------------------------------------------------------
# find_feed_links: platforms


@pytest.mark.parametrize(
    ("name", "page_url", "feeds", "platform"),
    [
        (
            "wordpress.html",
            "https://example.com/",
            ["https://example.com/feed/", "https://example.com/comments/feed/"],
            "wordpress",
        ),
        (
            "wordpress_category.html",
            "https://example.com/category/travel/",
            [
                "https://example.com/feed/",
                "https://example.com/category/travel/feed/",
                "https://example.com/comments/feed/",
            ],
            "wordpress",
        ),
        (
            "wordpress_post.html",
            "https://example.com/2024/03/hello-world/",
            [
                "https://example.com/feed/",
                "https://example.com/2024/03/hello-world/feed/",
                "https://example.com/comments/feed/",
            ],
            "wordpress",
        ),
        (
            "blogger.html",
            "https://example.blogspot.com/2024/02/first-frost.html",
            [
                "https://example.blogspot.com/feeds/posts/default",
                "https://example.blogspot.com/feeds/1234567890123456789/comments/default",
            ],
            "blogger",
        ),
        (
            "medium_user.html",
            "https://medium.com/@jane",
            ["https://medium.com/feed/@jane"],
            "medium",
        ),
        (
            "medium_publication.html",
            "https://medium.com/the-careful-coder",
            ["https://medium.com/feed/the-careful-coder"],
            "medium",
        ),
        (
            "substack.html",
            "https://exampleletters.substack.com/",
            ["https://exampleletters.substack.com/feed"],
            "substack",
        ),
        (
            "ghost.html",
            "https://fieldnotes.example.org/",
            ["https://fieldnotes.example.org/rss/"],
            "ghost",
        ),
        (
            "tumblr.html",
            "https://examplescraps.tumblr.com/",
            ["https://examplescraps.tumblr.com/rss"],
            "tumblr",
        ),
        (
            "jekyll.html",
            "https://jane.github.io/notes/",
            ["https://jane.github.io/notes/feed.xml"],
            "jekyll",
        ),
        (
            "hugo.html",
            "https://example.dev/posts/",
            ["https://example.dev/posts/index.xml", "https://example.dev/index.xml"],
            "hugo",
        ),
        (
            "squarespace.html",
            "https://www.examplebakery.com/journal",
            ["https://www.examplebakery.com/journal?format=rss"],
            "squarespace",
        ),
        (
            "wix.html",
            "https://www.examplestudio.com/blog",
            ["https://www.examplestudio.com/blog-feed.xml"],
            "wix",
        ),
    ],
)
def test_platform_pages(name: str, page_url: str, feeds: list[str], platform: str) -> None:
    links = find_feed_links(fixture(name), page_url, content_type="text/html; charset=utf-8")
    assert feed_urls(links) == feeds
    assert links.platform == platform


def test_wordpress_candidates_and_anchors() -> None:
    links = find_feed_links(fixture("wordpress.html"), "https://example.com/")
    assert links.feeds[0] == Candidate(
        url="https://example.com/feed/",
        title="Example Blog » Feed",
        media_type="application/rss+xml",
        source="link",
    )
    # "Entries feed" repeats the <link>; "Comments feed" is a comments feed.
    assert links.anchors == ()


def test_blogger_feed_anchor_is_not_repeated() -> None:
    links = find_feed_links(fixture("blogger.html"), "https://example.blogspot.com/")
    assert links.anchors == ()


@pytest.mark.parametrize(
    ("name", "page_url", "platform"),
    [
        ("medium_publication.html", "https://blog.carefulcoder.dev/", "medium"),  # app meta
        ("hugo.html", "https://jane.github.io/", "hugo"),  # generator
        ("jekyll.html", "https://notes.example.net/", "jekyll"),
        ("ghost.html", "https://fieldnotes.example.org/", "ghost"),
        ("substack.html", "https://www.exampleletters.com/", "substack"),  # substackcdn.com
        ("tumblr.html", "https://scraps.example.com/", "tumblr"),  # assets.tumblr.com
        ("squarespace.html", "https://www.examplebakery.com/", "squarespace"),
        ("wix.html", "https://www.examplestudio.com/", "wix"),
        ("blogger.html", "https://www.examplegarden.com/", "blogger"),
        ("wordpress.html", "https://someone.wordpress.com/", "wordpress"),
        ("odd_case.html", "http://bob.example.net/", None),  # FrontPage generator
        ("no_feed.html", "https://smiledental.example/", None),
    ],
)
def test_platform_detection(name: str, page_url: str, platform: str | None) -> None:
    assert find_feed_links(fixture(name), page_url).platform == platform


def test_platform_from_assets_alone() -> None:
    html = '<head><link rel="stylesheet" href="/wp-content/themes/x/style.css"></head>'
    assert find_feed_links(html, "https://example.com/").platform == "wordpress"
    host_wins = '<meta name="generator" content="WordPress 6.4">'
    assert find_feed_links(host_wins, "https://x.blogspot.com/").platform == "blogger"


# ---------------------------------------------------------------------------------------------
# find_feed_links: link rules


def test_json_feed_link_collapses_with_its_rss_twin() -> None:
    links = find_feed_links(fixture("jsonfeed.html"), "https://jane.example/")
    # The RSS twin has the same title bar the format word; /api/posts.json is not a feed.
    assert feed_urls(links) == ["https://jane.example/feed.json"]
    assert links.feeds[0].media_type == "application/json"


@pytest.mark.parametrize(
    ("link", "accepted"),
    [
        (rss_link("/feed.json", media_type="application/feed+json"), True),
        (rss_link("/feed/json/", media_type="application/json"), True),  # WP JSON Feed plugin
        (rss_link("/jsonfeed", media_type="application/json"), True),
        (rss_link("/wp-json/wp/v2/posts/1", media_type="application/json"), False),
        (rss_link("/?rest_route=/wp/v2/posts/1", media_type="application/json"), False),
        (rss_link("/data.json", media_type="application/json"), False),
        (rss_link("/wp-json/oembed/1.0/embed?url=x", media_type="application/json+oembed"), False),
        (rss_link("/oembed?url=x&format=xml", media_type="text/xml"), False),
        (rss_link("/feed/", media_type="text/xml"), True),
        (rss_link("/feed/", media_type="application/xml"), True),
        (rss_link("/feed/", media_type="application/rdf+xml"), True),
        (rss_link("/feed/", media_type="application/rss+xml;charset=utf-8"), True),
        (rss_link("/feed/", media_type="text/html"), False),
        (rss_link("/feed/", media_type=""), False),
        (rss_link("/sitemap.xml", media_type="application/xml"), False),
        ('<link rel="alternate nofollow" type="application/rss+xml" href="/feed/">', True),
        ('<link rel="alternate stylesheet" type="application/rss+xml" href="/feed/">', False),
        ('<link rel="feed" href="/feed/">', True),
        ('<link rel="feed" href="/news.atom">', True),
        ('<link rel="feed" type="application/atom+xml" href="/stream">', True),
        ('<link rel="feed" href="/archive/">', False),
        ('<link rel="home" type="application/rss+xml" href="/feed/">', False),
        ('<link type="application/rss+xml" href="/feed/">', False),
        ('<link rel="alternate" type="application/rss+xml">', False),
    ],
)
def test_link_rules(link: str, accepted: bool) -> None:
    links = find_feed_links(html_with_links(link), "https://example.com/")
    assert bool(links.feeds) is accepted


def test_odd_case_and_spacing() -> None:
    links = find_feed_links(fixture("odd_case.html"), "http://bob.example.net/~bob/")
    assert feed_urls(links) == [
        "http://bob.example.net/posts.rss",  # root feed before section feeds
        "http://bob.example.net/news/Feed/",
        "http://bob.example.net/updates/atom.xml",
    ]
    assert links.feeds[1].media_type == "application/rss+xml"
    assert links.feeds[2].media_type == "application/atom+xml;charset=utf-8"


def test_not_feeds_page_has_no_candidates() -> None:
    links = find_feed_links(fixture("not_feeds.html"), "https://museum.example/")
    assert links == PageLinks(feeds=(), anchors=(), platform=None)


def test_no_feed_page() -> None:
    links = find_feed_links(fixture("no_feed.html"), "https://smiledental.example/")
    canonical = "https://smiledental.example/"  # PageLinks.canonical: issue 12's profile rules
    assert links == PageLinks(feeds=(), anchors=(), platform=None, canonical=canonical)


def test_base_href_protocol_relative_feed_scheme_and_unsafe_hrefs() -> None:
    links = find_feed_links(fixture("odd_hrefs.html"), "https://example.com/articles/spring.html")
    assert feed_urls(links) == [
        "https://example.com/journal/feed/",  # "feed/" against <base href="/journal/">
        "http://example.com/carnets/rss.xml",  # feed://
        "https://example.com/caf%C3%A9/feed/",  # non-ASCII path
        "https://mirror.example.net/journal/atom.xml",  # //host: other site, so later
        "https://example.com/podcast/feed.xml",  # feed:https://, a podcast: below main feeds
    ]


def test_empty_base_href_is_ignored() -> None:
    html = '<base href=""><link rel="alternate" type="application/rss+xml" href="feed/">'
    links = find_feed_links(html, "https://example.com/blog/")
    assert feed_urls(links) == ["https://example.com/blog/feed/"]


def test_windows_1252_page() -> None:
    expected_title = "Le Café de José – “Nouvelles” €"
    for content_type in (
        None,
        "text/html",
        "text/html; charset=ISO-8859-1",
        "text/html; charset=utf-8",
    ):
        links = find_feed_links(
            fixture("windows1252.html"), "https://cafe.example/", content_type=content_type
        )
        assert feed_urls(links) == ["https://cafe.example/caf%C3%A9/nouvelles.xml"]
        assert links.feeds[0].title == expected_title


def test_charset_from_content_type_beats_meta() -> None:
    html = '<meta charset="windows-1252">' + rss_link("/f", "Ωmega")
    links = find_feed_links(
        html.encode(), "https://example.com/", content_type="text/html; charset=UTF-8"
    )
    assert links.feeds[0].title == "Ωmega"


def test_stray_byte_in_utf8_page_keeps_utf8() -> None:
    html = '<meta charset="utf-8">' + rss_link("/f", "Ωmega") + "<p>\x92</p>"
    links = find_feed_links(
        html.encode("utf-8").replace(b"\xc2\x92", b"\x92"), "https://example.com/"
    )
    assert links.feeds[0].title == "Ωmega"


@pytest.mark.parametrize("charset", ["base64", "idna", "no-such-charset", "utf-16"])
def test_unusable_charsets_do_not_raise(charset: str) -> None:
    html = rss_link("/f", "Caf\xe9").encode("latin-1")
    links = find_feed_links(
        html, "https://example.com/", content_type=f"text/html; charset={charset}"
    )
    assert [candidate.url for candidate in links.feeds] in ([], ["https://example.com/f"])


# ---------------------------------------------------------------------------------------------
# find_feed_links: ranking and collapsing


def test_section_feed_before_root_feed_before_other_sections() -> None:
    html = html_with_links(
        rss_link("/feed/", "Site"), rss_link("/news/feed/", "News"), rss_link("/blog/feed/", "Blog")
    )
    links = find_feed_links(html, "https://example.com/blog/")
    assert feed_urls(links) == [
        "https://example.com/blog/feed/",
        "https://example.com/feed/",
        "https://example.com/news/feed/",
    ]
    at_root = find_feed_links(html, "https://example.com/")
    assert feed_urls(at_root)[0] == "https://example.com/feed/"


def test_same_site_before_other_sites() -> None:
    html = html_with_links(
        rss_link("https://feeds.feedburner.com/Example", "Burned"),
        rss_link("https://other.example.net/feed/", "Friend"),
        rss_link("https://example.com/feed/", "Mine"),
        rss_link("https://blog.example.com/feed/", "Blog subdomain"),
    )
    links = find_feed_links(html, "https://www.example.com/")
    assert feed_urls(links) == [
        "https://example.com/feed/",
        "https://blog.example.com/feed/",
        "https://feeds.feedburner.com/Example",
        "https://other.example.net/feed/",
    ]


@pytest.mark.parametrize(
    ("href", "title"),
    [
        ("/comments/feed/", "Site"),
        ("/feed/comments/", "Site"),
        ("/?feed=comments-rss2", "Site"),
        ("/feeds/comments/default", "Site - Atom"),
        ("/2024/01/a-post/feed/", "Site » A post Comments Feed"),
        ("/feed/", "Comments for Site"),
        ("/feed/", "Site » Kommentar-Feed"),
        ("/feed/", "Site » Flux des commentaires"),
        ("/feed/", "Site » コメントフィード"),
        ("/feed/", "Site » Kommentare"),
        ("/feed/", "Site » Commentaires"),
        ("/feed/", "Site » Feed de comentarios"),
        ("/feed/", "Site » Feed dei commenti"),
        ("/feed/", "Site » Reacties-feed"),
        ("/feed/", "Site » Лента комментариев"),
        ("/feed/", "Site » Комментарии"),
        ("/kommentare/feed/", "Site"),
        ("/commentaires/feed/", "Site"),
        ("/comentarios/feed/", "Site"),
        ("/commenti/feed/", "Site"),
        ("/reacties/feed/", "Site"),
        ("/%D0%BA%D0%BE%D0%BC%D0%BC%D0%B5%D0%BD%D1%82%D0%B0%D1%80%D0%B8%D0%B8/feed/", "Site"),
        ("/%E3%82%B3%E3%83%A1%E3%83%B3%E3%83%88/feed/", "Site"),
    ],
)
def test_comments_feeds_rank_last(href: str, title: str) -> None:
    html = html_with_links(rss_link(href, title), rss_link("/news/feed.xml", "Site News"))
    assert (
        feed_urls(find_feed_links(html, "https://example.com/"))[-1] == "https://example.com" + href
    )


def test_site_name_containing_comment_is_not_a_comments_feed() -> None:
    html = html_with_links(
        rss_link("/podcast/feed/", "Running Commentary » Podcast"),
        rss_link("/feed/", "Running Commentary » Feed"),
    )
    links = find_feed_links(html, "https://example.com/")
    assert feed_urls(links) == ["https://example.com/feed/", "https://example.com/podcast/feed/"]


@pytest.mark.parametrize(
    ("href", "title"),
    [("/commentary/feed/", "Site » Commentary"), ("/feed/", "Site » The commentator")],
)
def test_words_that_only_start_like_comments_name_posts(href: str, title: str) -> None:
    links = find_feed_links(html_with_links(rss_link(href, title)), "https://example.com/")
    assert links.post_feed_urls() == ["https://example.com" + href]


@pytest.mark.parametrize(
    "off_topic",
    [
        "/category/news/feed/",
        "/tag/python/feed/",
        "/author/jane/feed/",
        "/?cat=3&feed=rss2",
        "/feeds/posts/default/-/Label",
        "/tagged/cats/rss",
        "/feed/podcast/",
    ],
)
def test_off_topic_feeds_rank_below_main_feed(off_topic: str) -> None:
    html = html_with_links(rss_link(off_topic, "Narrow"), rss_link("/feed/", "Site"))
    links = find_feed_links(html, "https://example.com/")
    assert feed_urls(links) == ["https://example.com/feed/", "https://example.com" + off_topic]


@pytest.mark.parametrize(
    "twins",
    [
        [("/feed/", "Example » Feed"), ("/feed/atom/", "Example » Atom"), ("/?feed=rss2", "")],
        [
            ("/feeds/posts/default", "Example - Atom"),
            ("/feeds/posts/default?alt=rss", "Example - RSS"),
        ],
        [
            ("/feeds/all.atom.xml", "Example Full Atom Feed"),
            ("/feeds/all.rss.xml", "Example Full RSS Feed"),
        ],
        [("/rss.xml", "RSS 2.0"), ("/atom.xml", "Atom 1.0")],
        [("/feed/", "Example"), ("/feed/", "Example"), ("http://www.example.com/feed/", "")],
    ],
)
def test_alternate_formats_of_one_feed_collapse(twins: list[tuple[str, str]]) -> None:
    html = html_with_links(*(rss_link(href, title) for href, title in twins))
    links = find_feed_links(html, "https://example.com/")
    assert feed_urls(links) == ["https://example.com" + twins[0][0]]


def test_different_feeds_do_not_collapse() -> None:
    html = html_with_links(
        rss_link("/feed/", "Example » Feed"),
        rss_link("/blog/feed/", "Example » Blog Feed"),
        rss_link("/feed/", "Example » Feed", "application/atom+xml"),
    )
    assert feed_urls(find_feed_links(html, "https://example.com/")) == [
        "https://example.com/feed/",
        "https://example.com/blog/feed/",
    ]


def test_max_links_caps_each_list() -> None:
    links = "".join(rss_link(f"/section-{n}/feed/", f"Section {n}") for n in range(60))
    anchors = "".join(f'<a href="/topic-{n}/rss.xml">RSS</a>' for n in range(60))
    result = find_feed_links(
        html_with_links(links, body=anchors), "https://example.com/", max_links=7
    )
    assert len(result.feeds) == 7
    assert len(result.anchors) == 7
    assert feed_urls(result)[:2] == [
        "https://example.com/section-0/feed/",
        "https://example.com/section-1/feed/",
    ]
    assert len(find_feed_links(html_with_links(links), "https://example.com/").feeds) == 50


# ---------------------------------------------------------------------------------------------
# find_feed_links: anchors


def test_anchor_only_page() -> None:
    links = find_feed_links(fixture("anchor_only.html"), "https://jane.example.org/")
    assert links.feeds == ()
    assert anchor_urls(links) == [
        "https://jane.example.org/writing/feed.xml",
        "https://jane.example.org/syndication/",  # only its icon's alt text says "RSS feed"
        "https://feeds.feedburner.com/JanesCorner",  # other site, so last
    ]
    assert [candidate.source for candidate in links.anchors] == ["anchor"] * 3
    assert links.anchors[1].title == "RSS feed"


@pytest.mark.parametrize(
    ("anchor", "accepted"),
    [
        ('<a href="/feed">x</a>', True),
        ('<a href="/rss/">x</a>', True),
        ('<a href="/atom">x</a>', True),
        ('<a href="/posts.rss">x</a>', True),
        ('<a href="/index.rdf">x</a>', True),
        ('<a href="/feed.json">x</a>', True),
        ('<a href="/news?format=rss">x</a>', True),
        ('<a href="/?feed=rss2">x</a>', True),
        ('<a href="https://feeds.feedburner.com/x">x</a>', True),
        ('<a rel="alternate" type="application/rss+xml" href="/stream">x</a>', True),
        ('<a href="/subscribe/">Atom</a>', True),
        ('<a href="/sitemap.xml">x</a>', False),
        ('<a href="/wp-sitemap-posts-post-1.xml">x</a>', False),
        ('<a href="/opensearch.xml">x</a>', False),
        ('<a href="/comments/feed/">Comments RSS</a>', False),
        ('<a href="/subscribe/">Subscribe</a>', False),
        ('<a href="https://twitter.com/jane">Twitter feed</a>', False),
        ('<a href="javascript:subscribe()">RSS</a>', False),
        ('<a href="#">RSS</a>', False),
        ('<a href="/about/">About</a>', False),
    ],
)
def test_anchor_rules(anchor: str, accepted: bool) -> None:
    links = find_feed_links(html_with_links(body=anchor), "https://example.com/")
    assert bool(links.anchors) is accepted


def test_feed_word_links_rank_after_feed_urls_locally() -> None:
    body = (
        '<a href="/syndicate/">RSS</a><a href="https://example.org/feed/">x</a>'
        '<a href="/feed/">x</a>'
    )
    links = find_feed_links(html_with_links(body=body), "https://example.com/")
    assert anchor_urls(links) == [
        "https://example.com/feed/",
        "https://example.com/syndicate/",
        "https://example.org/feed/",
    ]


# ---------------------------------------------------------------------------------------------
# find_feed_links: inputs and bounds


def test_str_and_head_only_inputs_agree_with_bytes() -> None:
    page = fixture("wordpress.html")
    end = html_head_end(page)
    assert end is not None
    from_bytes = find_feed_links(page, "https://example.com/")
    assert find_feed_links(page.decode("utf-8"), "https://example.com/") == from_bytes
    assert feed_urls(find_feed_links(page[:end], "https://example.com/")) == feed_urls(from_bytes)


def test_bad_page_url_keeps_only_absolute_links() -> None:
    html = html_with_links(rss_link("/relative/feed/"), rss_link("https://example.com/feed/"))
    links = find_feed_links(html, "not a url")
    assert feed_urls(links) == ["https://example.com/feed/"]


def test_utf16_page_is_decoded_by_its_bom() -> None:
    page = fixture("wordpress.html").decode("utf-8").encode("utf-16")
    links = find_feed_links(page, "https://example.com/", content_type="text/html; charset=utf-8")
    assert feed_urls(links)[0] == "https://example.com/feed/"


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "html",
    [
        fixture("feed_rss_cdata.xml"),
        fixture("feed_atom.xml").replace(b"<?xml ", b"<?xml <"),
        "https://example.com/",
        "index.html",
        b">",
    ],
)
def test_feeds_and_odd_input_do_not_make_bs4_warn(html: bytes | str) -> None:
    assert find_feed_links(html, "https://example.com/").feeds == ()


def test_rejected_markup_does_not_raise() -> None:
    assert find_feed_links(b"<![" * 1000, "https://example.com/") == PageLinks((), (), None)


def timed(html: str | bytes) -> tuple[PageLinks, float]:
    start = time.perf_counter()
    links = find_feed_links(html, "https://example.com/")
    return links, time.perf_counter() - start


def test_five_thousand_link_tags_stay_fast() -> None:
    tags = "".join(rss_link(f"/feeds/{n}.xml", f"Feed {n}") for n in range(5000))
    links, elapsed = timed(html_with_links(tags))
    assert elapsed < 1.0
    assert len(links.feeds) == 50
    assert feed_urls(links)[0] == "https://example.com/feeds/0.xml"


def test_five_megabyte_head_stays_fast() -> None:
    script = "<script>" + "var x = 1;\n" * 450_000 + "</script>"
    links, elapsed = timed(html_with_links(script, rss_link("/feed/")).encode())
    assert elapsed < 1.0
    assert feed_urls(links) == ["https://example.com/feed/"]
    metas = '<meta name="x" content="y">' * 200_000
    links, elapsed = timed(html_with_links(rss_link("/feed/"), metas))
    assert elapsed < 1.0
    assert feed_urls(links) == ["https://example.com/feed/"]


@pytest.mark.parametrize("unit", ["<a ", "<a x='", "</a ", "<b ", "<!-", "<?", "</", "<div>"])
def test_pathological_markup_stays_fast(unit: str) -> None:
    _, elapsed = timed(rss_link("/feed/") + unit * 50_000 + "x")
    assert elapsed < 1.0


# ---------------------------------------------------------------------------------------------
# guess_feed_urls


@pytest.mark.parametrize(
    ("page_url", "platform", "expected"),
    [
        (
            "https://example.com/",
            "wordpress",
            ["/feed/", "/rss", "/atom.xml", "/feed.xml", "/rss.xml"],
        ),
        (
            "https://example.com/blog/",
            "wordpress",
            ["/blog/feed/", "/feed/", "/blog/rss", "/blog/atom.xml", "/blog/feed.xml"],
        ),
        (
            "https://example.blogspot.com/2024/02/first-frost.html",
            None,
            [
                "/feeds/posts/default",
                "/2024/02/feed",
                "/2024/02/rss",
                "/2024/02/atom.xml",
                "/2024/02/feed.xml",
            ],
        ),
        (
            "https://exampleletters.substack.com/",
            "substack",
            ["/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml"],
        ),
        (
            "https://blog.example.org/",
            "ghost",
            ["/rss/", "/feed", "/atom.xml", "/feed.xml", "/rss.xml"],
        ),
        (
            "https://examplescraps.tumblr.com/",
            None,
            ["/rss", "/feed", "/atom.xml", "/feed.xml", "/rss.xml"],
        ),
        (
            "https://jane.github.io/notes/",
            "jekyll",
            ["/notes/feed.xml", "/feed.xml", "/notes/feed", "/notes/rss", "/notes/atom.xml"],
        ),
        (
            "https://example.dev/posts/",
            "hugo",
            ["/posts/index.xml", "/index.xml", "/posts/feed", "/posts/rss", "/posts/atom.xml"],
        ),
        (
            "https://www.examplebakery.com/journal",
            "squarespace",
            [
                "/journal?format=rss",
                "/journal/feed",
                "/journal/rss",
                "/journal/atom.xml",
                "/journal/feed.xml",
            ],
        ),
        (
            "https://www.examplebakery.com/",
            "squarespace",
            ["/?format=rss", "/blog?format=rss", "/feed", "/rss", "/atom.xml"],
        ),
        (
            "https://www.examplestudio.com/",
            "wix",
            ["/blog-feed.xml", "/feed", "/rss", "/atom.xml", "/feed.xml"],
        ),
        (
            "https://blog.carefulcoder.dev/",
            "medium",
            ["/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml"],
        ),
        ("https://example.com/", None, ["/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml"]),
        (
            "https://example.com/blog/index.html",
            None,
            ["/blog/feed", "/blog/rss", "/blog/atom.xml", "/blog/feed.xml", "/blog/rss.xml"],
        ),
    ],
)
def test_guess_feed_urls(page_url: str, platform: str | None, expected: list[str]) -> None:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page_url))
    assert guess_feed_urls(page_url, platform) == [origin + path for path in expected]


@pytest.mark.parametrize(
    ("page_url", "expected"),
    [
        ("https://medium.com/@jane", "https://medium.com/feed/@jane"),
        (
            "https://medium.com/@jane/types-all-the-way-down-5f1e2d3c4b5a",
            "https://medium.com/feed/@jane",
        ),
        (
            "https://medium.com/the-careful-coder/on-tests-0123",
            "https://medium.com/feed/the-careful-coder",
        ),
        ("https://www.tumblr.com/examplescraps", "https://examplescraps.tumblr.com/rss"),
    ],
)
def test_guess_hosted_user_feeds(page_url: str, expected: str) -> None:
    assert guess_feed_urls(page_url, None) == [expected]


def test_guess_limits_and_bad_input() -> None:
    everything = guess_feed_urls("https://example.com/blog/", None, limit=100)
    assert everything == [
        "https://example.com/blog/" + name
        for name in ("feed", "rss", "atom.xml", "feed.xml", "rss.xml", "index.xml", "feed.json")
    ] + [
        "https://example.com/" + name
        for name in ("feed", "rss", "atom.xml", "feed.xml", "rss.xml", "index.xml", "feed.json")
    ]
    assert guess_feed_urls("https://example.com/", "wordpress", limit=1) == [
        "https://example.com/feed/"
    ]
    assert guess_feed_urls("https://example.com/", None, limit=0) == []
    assert guess_feed_urls("javascript:alert(1)", "wordpress") == []
    assert guess_feed_urls("https://example.com/", "unknown-platform", limit=2) == [
        "https://example.com/feed",
        "https://example.com/rss",
    ]


# ---------------------------------------------------------------------------------------------
# Properties: never raise, only absolute http(s) candidates

_TOKENS = [
    "<",
    ">",
    "/",
    "=",
    '"',
    "'",
    " ",
    "\n",
    "<a ",
    "<link ",
    "<base href=",
    "<meta ",
    'rel="alternate" ',
    'type="application/rss+xml" ',
    "href=",
    "</head>",
    "<body",
    "<![",
    "<!--",
    "-->",
    "<?xml ",
    "&#",
    "&amp;",
    "javascript:",
    "feed:",
    "//",
    "http://",
    "\x00",
    "é",
    "\ufeff",
    "<rss>",
    "{",
    '"version": "https://jsonfeed.org/version/1"',
    "]]>",
]
_SAMPLES = [fixture(path.name) for path in sorted(PAGES.iterdir())]


@st.composite
def mutated_pages(draw: st.DrawFn) -> bytes:
    page = bytearray(draw(st.sampled_from(_SAMPLES)))
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(page)))
        if draw(st.booleans()):
            token = draw(st.sampled_from(_TOKENS)).encode("utf-8")
            page[position:position] = token
        else:
            del page[position : position + draw(st.integers(1, 200))]
    return bytes(page)


_ANY_PAGE = st.one_of(
    mutated_pages(),
    st.binary(max_size=2000),
    st.lists(st.sampled_from(_TOKENS), max_size=80).map("".join),
    st.text(max_size=500),
)
_PAGE_URLS = st.sampled_from(
    [
        "https://example.com/",
        "https://example.com/blog/post.html",
        "http://[::1]:8080/x",
        "nonsense",
        "",
    ]
)


def assert_http_url(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https")
    assert parts.netloc


@given(
    page=_ANY_PAGE,
    page_url=_PAGE_URLS,
    platform=st.sampled_from([None, "wordpress", "medium", "squarespace"]),
)
def test_never_raises_and_only_yields_http_urls(
    page: bytes | str, page_url: str, platform: str | None
) -> None:
    links = find_feed_links(page, page_url, content_type="text/html; charset=utf-8")
    for candidate in (*links.feeds, *links.anchors):
        assert_http_url(candidate.url)
    for url in guess_feed_urls(page_url, platform or links.platform):
        assert_http_url(url)
    body = page.encode("utf-8", "surrogatepass") if isinstance(page, str) else page
    assert sniff_feed(body, "text/html") in (None, "rss", "rdf", "atom", "json")
    end = html_head_end(body)
    assert end is None or 0 <= end <= len(body)
