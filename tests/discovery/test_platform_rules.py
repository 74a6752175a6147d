"""Platforms that name their feeds by rule (issue 12): profile and channel URLs people paste,
and platforms recognised on custom domains. Each rule on its URLs and fixtures, then end to
end on 127.0.0.1 (every host name resolves there)."""

from __future__ import annotations

import pytest

from commentluv import CommentLuv
from commentluv._discovery import find_feed_links, guess_feed_urls
from commentluv._discovery.platforms import PROFILE_RULES
from tests.support import FIXTURES

PAGES = FIXTURES / "pages"
CHANNEL = "UCabcdefghijklmnopqrstuv"


@pytest.mark.parametrize(
    ("page_url", "first"),
    [
        ("https://mastodon.social/@ann", "https://mastodon.social/@ann.rss"),
        ("https://fosstodon.org/@ann/112233445566", "https://fosstodon.org/@ann.rss"),
        (
            "https://bsky.app/profile/ann.bsky.social",
            "https://bsky.app/profile/ann.bsky.social/rss",
        ),
        (
            "https://bsky.app/profile/did:plc:abc/post/3k",
            "https://bsky.app/profile/did:plc:abc/rss",
        ),
        (
            f"https://www.youtube.com/channel/{CHANNEL}",
            f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}",
        ),
        ("https://github.com/ann", "https://github.com/ann.atom"),
        ("https://github.com/ann/sourdough", "https://github.com/ann.atom"),
        ("https://medium.com/@ann", "https://medium.com/feed/@ann"),
        ("https://www.tumblr.com/ann", "https://ann.tumblr.com/rss"),
        ("https://micro.blog/ann", "https://ann.micro.blog/feed.xml"),
        ("https://write.as/ann", "https://write.as/ann/feed/"),
    ],
)
def test_profile_rules(page_url, first):
    guesses = guess_feed_urls(page_url, None)
    assert guesses[0] == first
    # A host with rules of its own gets only its rule; any host's /@user gets the rest too.
    assert len(guesses) == (5 if first.endswith("@ann.rss") else 1)


@pytest.mark.parametrize(
    "page_url",
    [
        "https://www.youtube.com/@ann",  # a handle: the page's alternate or its canonical
        "https://github.com/orgs/ann",
        "https://github.com/settings/profile",
        "https://bsky.app/",
        "https://micro.blog/discover",
        "https://ann.tumblr.com/post/123",  # a blog's own post: its platform's /rss
        "https://ann.medium.com/some-story",  # likewise /feed
    ],
)
def test_what_the_rules_leave_alone(page_url):
    guesses = guess_feed_urls(page_url, None)
    assert not any(guess.endswith((".atom", "/@ann.rss")) for guess in guesses)
    assert "channel_id" not in "".join(guesses)


def test_a_youtube_handle_page_names_its_channel_in_its_canonical_link():
    url = "https://www.youtube.com/@ann"
    links = find_feed_links((PAGES / "youtube_handle.html").read_bytes(), url)
    assert links.feeds == () and links.canonical == f"https://www.youtube.com/channel/{CHANNEL}"
    assert guess_feed_urls(url, links.platform, canonical=links.canonical) == [
        f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"
    ]


def test_a_bluesky_profile_page_links_its_feed():
    url = "https://bsky.app/profile/ann.bsky.social"
    links = find_feed_links((PAGES / "bluesky_profile.html").read_bytes(), url)
    assert links.post_feed_urls() == [
        "https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx/rss"
    ]


@pytest.mark.parametrize(
    ("name", "page_url", "platform", "first"),
    [
        ("microblog.html", "https://ann.example/", "microblog", "https://ann.example/feed.xml"),
        (
            "writefreely.html",
            "https://words.example/ann/",
            "writefreely",
            "https://words.example/ann/feed/",
        ),
        ("bearblog.html", "https://ann.example/", "bear", "https://ann.example/feed/"),
        (
            "substack.html",
            "https://www.exampleletters.com/",
            "substack",
            "https://www.exampleletters.com/feed",
        ),
        (
            "ghost.html",
            "https://fieldnotes.example.org/",
            "ghost",
            "https://fieldnotes.example.org/rss/",
        ),
    ],
)
def test_platforms_on_custom_domains(name, page_url, platform, first):
    links = find_feed_links((PAGES / name).read_bytes(), page_url)
    assert links.platform == platform
    assert guess_feed_urls(page_url, links.platform)[0] == first


@pytest.mark.parametrize(
    ("page_url", "first"),
    [
        ("https://ann.micro.blog/", "https://ann.micro.blog/feed.xml"),
        ("https://ann.bearblog.dev/", "https://ann.bearblog.dev/feed/"),
        ("https://ann.ghost.io/", "https://ann.ghost.io/rss/"),
        ("https://ann.wordpress.com/", "https://ann.wordpress.com/feed/"),
        ("https://ann.blogspot.com/", "https://ann.blogspot.com/feeds/posts/default"),
        ("https://ann.substack.com/", "https://ann.substack.com/feed"),
    ],
)
def test_hosted_platforms(page_url, first):
    assert guess_feed_urls(page_url, None)[0] == first


def test_every_rule_is_one_line_of_the_table():
    assert all(len(rule) == 3 for rule in PROFILE_RULES)
    assert {host for host, _, _ in PROFILE_RULES} >= {
        "", "bsky.app", "youtube.com", "github.com", "medium.com", "micro.blog", "write.as",
    }  # fmt: skip


# End to end: a real server; every host name resolves to 127.0.0.1

NO_LINKS = (
    "<!DOCTYPE html><html><head><title>Profile</title>{head}</head><body><p>Hi</p></body></html>"
)


def rss(title: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        f"<title>{title}</title><link>https://ann.example/1</link>"
        "<pubDate>Fri, 31 May 2024 09:30:00 +0000</pubDate></item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("start", "head", "feed"),
    [
        ("social.example/@ann", "", "social.example/@ann.rss"),
        ("bsky.app/profile/ann.bsky.social", "", "bsky.app/profile/ann.bsky.social/rss"),
        (
            f"www.youtube.com/channel/{CHANNEL}",
            "",
            f"www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}",
        ),
        (
            "www.youtube.com/@ann",
            f"<link rel='canonical' href='/channel/{CHANNEL}'>",
            f"www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}",
        ),
        ("github.com/ann", "", "github.com/ann.atom"),
        ("medium.com/@ann", "", "medium.com/feed/@ann"),
        ("www.tumblr.com/ann", "", "ann.tumblr.com/rss"),
        ("micro.blog/ann", "", "ann.micro.blog/feed.xml"),
        ("write.as/ann", "", "write.as/ann/feed/"),
        ("ann.bearblog.dev/", "", "ann.bearblog.dev/feed/"),
        ("ann.ghost.io/", "", "ann.ghost.io/rss/"),
        ("ann.wordpress.com/", "", "ann.wordpress.com/feed/"),
        ("ann.blogspot.com/", "", "ann.blogspot.com/feeds/posts/default"),
        (
            "letters.example/",
            "<script src='https://substackcdn.com/x.js'></script>",
            "letters.example/feed",
        ),
        ("words.example/", "<meta name='generator' content='WriteFreely'>", "words.example/feed/"),
        (
            "notes.example/",
            "<meta name='generator' content='Micro.blog'>",
            "notes.example/feed.xml",
        ),
    ],
)
def test_end_to_end_each_rule(site, start, head, feed):
    port = site.url.rsplit(":", 1)[1]
    start_host, _, start_path = start.partition("/")
    feed_host, _, feed_path = feed.partition("/")
    site.add("/" + start_path, NO_LINKS.format(head=head))
    site.add(
        "/" + feed_path,
        rss(f"Fed by rule from {feed_host}"),
        headers={"Content-Type": "application/rss+xml"},
    )
    with CommentLuv(allow_private_hosts=True, resolver=lambda host, _: ["127.0.0.1"]) as luv:
        post = luv.latest(f"http://{start_host}:{port}/{start_path}")
    assert post.feed_url == f"http://{feed_host}:{port}/{feed_path}"
    assert post.title == f"Fed by rule from {feed_host}"
    assert site.paths() == ["/" + start_path, "/" + feed_path]
