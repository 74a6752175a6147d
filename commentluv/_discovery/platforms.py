"""Blogging platforms (pure): which one a page is on, and where its feed usually is.

The platform comes from the page's host, then ``<meta name="generator">``, then asset URLs
only one platform puts in its pages; :func:`guess_feed_urls` turns it into well-known feed
URLs to try when a page links to none.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from urllib.parse import SplitResult, urlsplit

from .._urls import safe_http_url
from .rank import path_segments, site_host

__all__ = ["detect_platform", "guess_feed_urls", "host_platform"]

_HOST_PLATFORMS = (
    ("blogspot.com", "blogger"),
    ("medium.com", "medium"),
    ("substack.com", "substack"),
    ("tumblr.com", "tumblr"),
    ("wordpress.com", "wordpress"),
    ("ghost.io", "ghost"),
    ("wixsite.com", "wix"),
    ("squarespace.com", "squarespace"),
)
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
)


def detect_platform(page: SplitResult | None, generators: Iterable[str], text: str) -> str | None:
    """From the page's host, then its ``<meta name="generator">`` contents, then well-known
    asset hosts in its ``text``."""
    host = page.hostname if page else None
    return host_platform(host) or _generator_platform(generators) or _asset_platform(text)


def host_platform(host: str | None) -> str | None:
    """The platform that hosts ``host`` (a blogspot.com or medium.com subdomain), or None."""
    host = host or ""
    for suffix, platform in _HOST_PLATFORMS:
        if host == suffix or host.endswith("." + suffix):
            return platform
    return None


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
    }
)
# First path segments of medium.com and www.tumblr.com that are not a user or publication.
_RESERVED_FIRST_SEGMENTS = frozenset(
    {"p", "m", "me", "search", "tag", "tagged", "topics", "blog", "dashboard", "explore"}
)


def guess_feed_urls(page_url: str, platform: str | None, *, limit: int = 5) -> list[str]:
    """Well-known feed URLs to try when a page links to none, most likely first.

    The platform's own feed location comes first (``platform`` as from
    :func:`find_feed_links`; when None it is inferred from the host), then common names, each
    under the page's directory (``/blog/``) before the site root. Absolute, at most ``limit``,
    and deduplicated (``/feed`` is dropped after ``/feed/``: one redirects to the other).
    """
    page = safe_http_url(page_url)
    if page is None or limit <= 0:
        return []
    parts = urlsplit(page)
    hosted = _hosted_user_feed(parts)
    if hosted:
        return [hosted]
    directories = _guess_directories(parts.path)
    guesses = [
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


def _hosted_user_feed(parts: SplitResult) -> str | None:
    """The feed of a user or publication page on medium.com or www.tumblr.com."""
    segments = path_segments(parts.path)
    first = segments[0] if segments else ""
    if not first or first.lower() in _RESERVED_FIRST_SEGMENTS:
        return None
    host = site_host(parts.hostname)
    if host == "medium.com":
        return f"https://medium.com/feed/{first}"
    if host == "tumblr.com":
        return f"https://{first}.tumblr.com/rss"
    return None
