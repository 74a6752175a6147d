"""Fediverse handles (pure): the WebFinger query of a handle's site, the profile page its answer
names, and where fediverse servers put a profile's feed.

A handle ``@alice@host`` is the site ``https://host/@alice`` (:mod:`commentluv._shared.urls`).
When that page names no feed (the handle's domain delegates to another server, or the server
keeps profiles elsewhere, as Pleroma and Akkoma do under ``/users/alice``), the lookup asks
``https://host/.well-known/webfinger?resource=acct:alice@host`` (RFC 7033) once and reads
the profile page it names. Profiles announce their feeds differently: Mastodon and Misskey at
``/@alice.rss``, GoToSocial at ``/@alice/feed.rss`` (when the user turned it on), Pleroma
and Akkoma at ``/users/alice/feed.atom``; each page's own ``<link>``s come first.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

from .._shared.urls import fediverse_handle, safe_http_url
from .rank import path_segments

__all__ = ["fediverse_feeds", "profile_page", "webfinger_url"]

_PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "")
_MAX_LINKS = 50


def webfinger_url(site: str) -> str | None:
    """The WebFinger query of a handle's site (``https://host/@alice``), or None."""
    handle = fediverse_handle(site)
    if handle is None:
        return None
    user, host = handle
    resource = quote(f"acct:{user}@{host}", safe=":@")
    return f"https://{host}/.well-known/webfinger?resource={resource}"


def profile_page(body: bytes) -> str | None:
    """The profile page a WebFinger answer (JRD, JSON) names: its ``profile-page`` link,
    else a ``self`` link served as HTML, else an http(s) alias; None when it names none or
    is not JSON."""
    try:
        document = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    links = [link for link in document.get("links") or [] if isinstance(link, dict)]
    for rel in (_PROFILE_PAGE_REL, "self"):
        for link in links[:_MAX_LINKS]:
            declared = str(link.get("type") or "").split(";")[0].strip().lower()
            if link.get("rel") == rel and declared in _PAGE_TYPES:
                url = safe_http_url(str(link.get("href") or ""))
                if url is not None:
                    return url
    aliases = document.get("aliases")
    for alias in aliases[:_MAX_LINKS] if isinstance(aliases, list) else []:
        url = safe_http_url(alias) if isinstance(alias, str) else None
        if url is not None:
            return url
    return None


def fediverse_feeds(profile: str) -> list[str]:
    """Where fediverse servers put the feed of the profile at ``profile``, most likely first:
    ``/@alice`` → Mastodon's and Misskey's ``/@alice.rss``, GoToSocial's
    ``/@alice/feed.rss``; ``/users/alice`` → Pleroma's and Akkoma's ``/users/alice/feed.atom``
    (and Mastodon's ``/users/alice.rss``)."""
    parts = urlsplit(profile)
    segments = path_segments(parts.path)
    origin = f"{parts.scheme}://{parts.netloc}"
    if len(segments) == 1 and segments[0].startswith("@"):
        paths = [f"/{segments[0]}.rss", f"/{segments[0]}/feed.rss"]
    elif len(segments) == 2 and segments[0] == "users":
        paths = [f"/users/{segments[1]}/feed.atom", f"/users/{segments[1]}.rss"]
    else:
        return []
    return [url for path in paths if (url := safe_http_url(origin + path))]
