"""Blogging platforms (pure): which one a page is on, and where its feed usually is.

The platform comes from the page's host, then ``<meta name="generator">``, then asset URLs
only one platform puts in its pages; :func:`guess_feed_urls` turns it into well-known feed
URLs to try when a page links to none. Profile and channel URLs people paste (a Mastodon,
Bluesky, YouTube or GitHub profile...) name their feed by rule (:data:`PROFILE_RULES`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType
from urllib.parse import SplitResult, unquote, urlsplit

from .._shared.urls import safe_http_url, site_host
from .rank import path_segments

__all__ = ["PROFILE_RULES", "detect_platform", "guess_feed_urls", "host_platform", "profile_feed"]

# A host is on the platform when "." + host ends with the suffix (the host itself or a
# subdomain of it).
_HOST_PLATFORMS = (
    (".blogspot.com", "blogger"),
    (".medium.com", "medium"),
    (".substack.com", "substack"),
    (".tumblr.com", "tumblr"),
    (".wordpress.com", "wordpress"),
    (".ghost.io", "ghost"),
    (".wixsite.com", "wix"),
    (".squarespace.com", "squarespace"),
    (".micro.blog", "microblog"),
    (".bearblog.dev", "bear"),
)
_HOST_SUFFIXES = tuple(suffix for suffix, _ in _HOST_PLATFORMS)
_GENERATOR_PLATFORMS = (
    ("wordpress", "wordpress"),
    ("blogger", "blogger"),
    ("ghost", "ghost"),
    ("jekyll", "jekyll"),
    ("hugo", "hugo"),
    ("wix.com", "wix"),
    ("squarespace", "squarespace"),
    ("tumblr", "tumblr"),
    ("medium", "medium"),
    ("substack", "substack"),
    ("micro.blog", "microblog"),
    ("writefreely", "writefreely"),
)
# Asset URLs and comments only one platform puts in its pages. Plain substrings, because a
# regex alternation of them crawls through a multi-megabyte page.
_ASSET_MARKERS = (
    ("/wp-content/", "wordpress"),
    ("/wp-includes/", "wordpress"),
    ("/wp-json/", "wordpress"),
    ("www.blogger.com/static/", "blogger"),
    ("www.blogger.com/dyn-css/", "blogger"),
    ("blogger.googleusercontent.com", "blogger"),
    ("miro.medium.com", "medium"),
    ("cdn-client.medium.com", "medium"),
    ("com.medium.reader", "medium"),
    ("substackcdn.com", "substack"),
    ("cdn.substack.com", "substack"),
    ("cdn.jsdelivr.net/ghost/", "ghost"),
    ("cdn.jsdelivr.net/npm/@tryghost/", "ghost"),
    ("assets.tumblr.com", "tumblr"),
    ("static.tumblr.com", "tumblr"),
    ("static1.squarespace.com", "squarespace"),
    ("assets.squarespace.com", "squarespace"),
    ("this is squarespace.", "squarespace"),
    ("static.parastorage.com", "wix"),
    ("static.wixstatic.com", "wix"),
    ("begin jekyll seo tag", "jekyll"),
    ("cdn.micro.blog", "microblog"),
    ("bearblog.dev", "bear"),
)


def detect_platform(host: str | None, generators: Iterable[str], text: str) -> str | None:
    """From the page's host, then its ``<meta name="generator">`` contents, then well-known
    asset hosts in its ``text``."""
    return host_platform(host) or _generator_platform(generators) or _asset_platform(text)


def host_platform(host: str | None) -> str | None:
    """The platform that hosts ``host`` (a blogspot.com or medium.com subdomain), or None."""
    dotted = "." + (host or "")
    if not dotted.endswith(_HOST_SUFFIXES):  # most hosts: one test for all the platforms
        return None
    return next(platform for suffix, platform in _HOST_PLATFORMS if dotted.endswith(suffix))


def _asset_platform(text: str) -> str | None:
    """The platform whose marker appears first (a hotlinked image comes after the theme)."""
    lowered = text.lower()
    hits = [
        (at, platform) for marker, platform in _ASSET_MARKERS if (at := lowered.find(marker)) >= 0
    ]
    return min(hits)[1] if hits else None


def _generator_platform(generators: Iterable[str]) -> str | None:
    for content in generators:
        generator = content.strip().lower()
        for prefix, platform in _GENERATOR_PLATFORMS:
            if generator.startswith(prefix):
                return platform
    return None


# Guessing

_GENERIC_FEED_NAMES = ("feed", "rss", "atom.xml", "feed.xml", "rss.xml", "index.xml", "feed.json")
# Platform → (feed path, whether the platform can be installed under a path like /blog/).
_PLATFORM_FEEDS = MappingProxyType(
    {
        "wordpress": ("feed/", True),
        "ghost": ("rss/", True),
        "jekyll": ("feed.xml", True),
        "hugo": ("index.xml", True),
        "blogger": ("feeds/posts/default", False),
        "medium": ("feed", False),
        "substack": ("feed", False),
        "tumblr": ("rss", False),
        "wix": ("blog-feed.xml", False),
        "microblog": ("feed.xml", False),
        "bear": ("feed/", False),
        "writefreely": ("feed/", True),
    }
)
# Profile and channel URLs people paste, and the feed each names by rule, one line each: the
# host (without "www."; "" for any host without rules of its own), the path (a pattern,
# matched from its start and ended by "/" or its end) and the feed, resolved against the
# page ({scheme} and {port} keep the page's). A rule only makes a candidate, whose body must
# still sniff as a feed.
PROFILE_RULES = (
    ("medium.com", r"/(@[\w.-]+|[\w-]+)", "/feed/{0}"),
    ("tumblr.com", r"/([\w-]+)", "{scheme}://{0}.tumblr.com{port}/rss"),
    ("bsky.app", r"/profile/([\w.:-]+)", "/profile/{0}/rss"),
    ("youtube.com", r"/channel/(UC[\w-]{22})", "/feeds/videos.xml?channel_id={0}"),
    ("github.com", r"/([A-Za-z0-9-]{1,39})", "/{0}.atom"),
    ("micro.blog", r"/([\w-]+)", "{scheme}://{0}.micro.blog{port}/feed.xml"),
    ("write.as", r"/([\w-]+)", "/{0}/feed/"),
    ("", r"/(@[\w.-]+)", "/{0}.rss"),  # Mastodon and other fediverse profiles
)
_RULES = tuple((host, re.compile(path + r"(?=/|$)"), feed) for host, path, feed in PROFILE_RULES)
# First path segments of those hosts that are not a user, a publication or a blog.
_RESERVED_FIRST_SEGMENTS = frozenset(
    {"p", "m", "me", "search", "tag", "tagged", "topics", "blog", "dashboard", "explore",
     "about", "settings", "login", "orgs", "features", "marketplace", "sponsors", "trending",
     "notifications", "new", "collections", "discover", "account", "pricing"}
)  # fmt: skip


def guess_feed_urls(
    page_url: str, platform: str | None, *, limit: int = 5, canonical: str | None = None
) -> list[str]:
    """Well-known feed URLs to try when a page links to none, most likely first.

    A profile rule's feed comes first (:data:`PROFILE_RULES`, on the page URL, else on its
    ``canonical`` URL: a YouTube handle page's canonical is its channel), and alone for a
    host that has rules (github.com/NAME has no /feed). Then the platform's own feed location
    (``platform`` as from :func:`find_feed_links`; when None it is inferred from the host),
    then common names, each under the page's directory (``/blog/``) before the site root.
    Absolute, at most ``limit``, and deduplicated (``/feed`` is dropped after ``/feed/``: one
    redirects to the other).
    """
    page = safe_http_url(page_url)
    if page is None or limit <= 0:
        return []
    parts = urlsplit(page)
    ruled = _ruled_feed(page, canonical)
    if ruled and ruled[1]:
        return [ruled[0]]
    directories = _guess_directories(parts.path)
    guesses = [
        *([ruled[0]] if ruled else []),
        *_platform_guesses(parts, platform or host_platform(parts.hostname), directories),
        *(directory + name for directory in directories for name in _GENERIC_FEED_NAMES),
    ]
    urls: dict[str, str] = {}
    for guess in guesses:
        url = safe_http_url(guess, page)
        if url:
            urls.setdefault(url.rstrip("/"), url)
    return list(urls.values())[:limit]


def _guess_directories(path: str) -> list[str]:
    """["/blog/", "/"] for /blog, /blog/ or /blog/index.html; ["/"] at the root."""
    segments = path_segments(path)
    if segments and "." in segments[-1]:
        segments.pop()
    return [f"/{'/'.join(segments)}/", "/"] if segments else ["/"]


def _platform_guesses(
    parts: SplitResult, platform: str | None, directories: list[str]
) -> list[str]:
    if platform == "squarespace":
        # Squarespace serves any collection's RSS at ?format=rss; "blog" is its default slug.
        return [f"{parts.path}?format=rss", *(["/blog?format=rss"] if parts.path == "/" else [])]
    if platform is None or platform not in _PLATFORM_FEEDS:
        return []
    name, nestable = _PLATFORM_FEEDS[platform]
    return [directory + name for directory in (directories if nestable else ["/"])]


def profile_feed(page_url: str, canonical: str | None = None) -> str | None:
    """The feed a profile rule names for ``page_url`` (else for its ``canonical`` URL)."""
    ruled = _ruled_feed(page_url, canonical)
    return ruled[0] if ruled else None


def _ruled_feed(page_url: str, canonical: str | None) -> tuple[str, bool] | None:
    return _profile_feed(urlsplit(page_url)) or _profile_feed(
        urlsplit(safe_http_url(canonical) or "")
    )


def _profile_feed(parts: SplitResult) -> tuple[str, bool] | None:
    """The feed a profile rule names for a URL, and whether the rule was its host's own."""
    host = site_host(parts.hostname)
    path = unquote(parts.path)
    segments = path_segments(path)
    if not host or not segments or segments[0].lower() in _RESERVED_FIRST_SEGMENTS:
        return None
    rules = [rule for rule in _RULES if rule[0] == host] or [r for r in _RULES if not r[0]]
    for rule_host, pattern, feed in rules:
        match = pattern.match(path)
        if match is not None:
            port = f":{parts.port}" if parts.port else ""
            url = safe_http_url(feed.format(*match.groups(), scheme=parts.scheme, port=port),
                                parts.geturl())  # fmt: skip
            return (url, bool(rule_host)) if url else None
    return None
