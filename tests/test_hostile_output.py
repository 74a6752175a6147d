"""Hostile titles and links through the whole pipeline: loopback feed → client → backlink.

test_formatting.py proves the formatter on hand-built posts; here the text comes off the wire
and passes feed parsing, cleaning and caching first, as it does in production.
"""

from __future__ import annotations

import re
import unicodedata
from html import escape
from html.parser import HTMLParser

import pytest

from commentluv import CommentLuv, Post, format_backlink
from commentluv._feeds import parse_posts
from commentluv._shared.text import clean_text

SAFE_LINK = "https://blog.example/post/"
FEED_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
# Characters that must never reach a comment: controls and bidi/format overrides.
INVISIBLE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

HOSTILE_TITLES = [
    "<script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<svg onload="alert(1)">',
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "<![CDATA[&lt;b onmouseover=alert(1)&gt;]]>",
    "evil\u202egnp.exe",
    "\u2066isolated\u2069 \u2067rtl\u2069 \u2068first\u2069",
    "nul&#0;bel&#7;tab\tend",
    '"><a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1)) <https://evil.example/>",
    "x" * 1_000_000,
]

HOSTILE_LINKS = [
    "javascript:alert(1)",
    "JaVa\tScript:alert(1)",
    "&#106;avascript:alert(1)",  # decoded by the XML parser into javascript:
    "<![CDATA[javascript:alert(1)]]>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    'https://blog.example/"onmouseover="alert(1)',
    "https://blog.example/'><script>alert(1)</script>",
    "https://blog.example/post/) [x](javascript:alert(1)",
    "//evil.example/\u202e",
]


def feed(title: str, link: str) -> bytes:
    # Entities and CDATA are left for the XML parser to decode (that is the attack).
    title_xml = title if "<![CDATA[" in title or "&" in title else escape(title)
    link_xml = link if "&#" in link or "<![CDATA[" in link else escape(link)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>c</title>'
        f"<item><title>{title_xml}</title><link>{link_xml}</link></item>"
        "</channel></rss>"
    ).encode()


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, attrs))


def assert_inert(line: str, fmt: str) -> None:
    assert not INVISIBLE_RE.search(line)
    assert len(line) < 2_000  # titles are cut; a megabyte never reaches a comment
    if fmt == "html":
        tags = Tags()
        tags.feed(line)
        tags.close()
        for tag, attrs in tags.starts:
            assert tag == "a"
            assert [name for name, _ in attrs] == ["href", "rel"]
            assert re.match(r"https?://", dict(attrs)["href"] or "")
    elif fmt == "markdown":
        # Every "<", "[" or "(" that is not backslash-escaped belongs to the one link made
        # by the formatter, whose destination is http(s).
        unescaped = re.findall(r"(?<!\\)[<\[]", line)
        assert len(unescaped) <= 1
        for target in re.findall(r"(?<!\\)\]\(([^)]*)\)", line):
            assert re.match(r"https?://", target)


def backlinks(site, title: str, link: str) -> dict[str, str | None]:
    site.add("/", feed(title, link), headers=FEED_HEADERS)
    with CommentLuv(allow_private_hosts=True, timeout=3) as luv:
        return {
            fmt: luv.backlink('<b onmouseover="x">Eve</b>\u202e', site.url + "/", fmt=fmt)  # type: ignore[arg-type]
            for fmt in ("text", "html", "markdown")
        }


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: t[:20])
def test_hostile_titles_come_out_inert_in_every_format(site, title):
    # Visible words around the attack keep the post (an empty title would drop it).
    lines = backlinks(site, f"Hello {title} world", SAFE_LINK)
    for fmt, line in lines.items():
        assert line is not None and "Hello" in line
        assert_inert(line, fmt)
    assert f'href="{SAFE_LINK}"' in (lines["html"] or "")
    assert "<script" not in (lines["html"] or "").lower()


@pytest.mark.parametrize("link", HOSTILE_LINKS, ids=lambda t: t[:20])
def test_hostile_links_never_become_a_non_http_href(site, link):
    lines = backlinks(site, "A post", link)
    for fmt, line in lines.items():
        assert line is not None and "A post" in line  # the post stays; only its link may go
        assert_inert(line, fmt)


# Invisible characters: a title must not look blank or carry hidden text (issue 9).

# The running Python's format characters (161 in Python 3.10's Unicode 13, 170 in Unicode 15)
# and, written out, those Unicode 14 and 15 added: the filter is Unicode 15's on every Python.
FORMAT_CHARACTERS = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
NEWER_FORMAT_CHARACTERS = ["\u0890", "\u0891", *map(chr, range(0x13439, 0x13440))]
HANGUL_FILLERS = ["\u115f", "\u1160", "\u3164", "\uffa0"]


@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_every_format_character_and_filler_is_removed_but_joiners_in_words(fmt):
    post = Post("x", "https://a.example/", None, "https://a.example/f", "https://a.example/")
    known = {*FORMAT_CHARACTERS, *NEWER_FORMAT_CHARACTERS, *HANGUL_FILLERS}
    hidden = sorted(known - {"\u200c", "\u200d"})
    assert len(hidden) >= 172  # 131 of them once passed through
    for char in hidden:
        title = clean_text(f"pay{char}pal {char}login")
        assert title == "paypal login", (hex(ord(char)), title)
    line = format_backlink(post, "Ann\U000e0041\U000e0042", style="{name}", fmt=fmt)
    assert line == "Ann"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("\U0001f469\u200d\U0001f4bb coder", "\U0001f469\u200d\U0001f4bb coder"),  # 👩‍💻
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
        ("\u0915\u094d\u200c\u0937", "\u0915\u094d\u200c\u0937"),  # क्‌ष: after a virama
        ("hidden\u200d \u200cjoiners\u200d", "hidden joiners"),
        ("\u200dstart", "start"),
    ],
)  # fmt: skip
def test_joiners_stay_only_inside_words_and_emoji(raw, kept):
    assert clean_text(raw) == kept


def test_a_title_of_only_invisible_characters_falls_back_like_an_untitled_post():
    blank = "\u3164\u115f\U000e0041\u200b"
    body = (
        "<rss version='2.0'><channel><item><title>"
        + blank
        + "</title><link>https://a.example/1</link>"
        "<description>The text of the post</description></item></channel></rss>"
    ).encode()
    posts = parse_posts(body, feed_url="https://a.example/f", site_url="https://a.example/")
    assert posts[0].title == "The text of the post"


# GitHub-flavoured Markdown: untrusted text never becomes a link (issue 9).

AUTOLINK_BAIT = [
    "jaden@example.com",
    "mail me: x.y+z@evil.example",
    "www.evil.example",
    "WWW.EVIL.EXAMPLE/path",
    "https://evil.example/x",
    "HTTP://evil.example",
    "ftp://evil.example/f",
    "mailto:x@evil.example",
    "xmpp:x@evil.example",
    "(https://evil.example)",
]


@pytest.mark.parametrize("bait", AUTOLINK_BAIT)
def test_gfm_autolinks_nothing_but_the_title_link(bait):
    cmarkgfm = pytest.importorskip("cmarkgfm")
    post = Post(f"Title {bait}", "https://a.example/p", None, "https://a.example/f", bait)
    markdown = format_backlink(post, bait, style="{name} wrote {title} on {site}", fmt="markdown")
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert re.findall(r"<a [^>]*>", rendered) == ['<a href="https://a.example/p">'], rendered
    visible = re.sub("<[^>]+>", "", rendered).replace("\u200b", "")
    assert bait.replace("<", "&lt;").replace(">", "&gt;") in visible  # the text itself survives
