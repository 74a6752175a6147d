"""Fediverse and Bluesky handles typed where a website goes (issue 22, item 4): a handle is
a site, by a rule with no network access: ``@alice@host`` and ``alice@host`` are the profile
``https://host/@alice``; a ``*.bsky.social`` handle is ``https://bsky.app/profile/<handle>``."""

from __future__ import annotations

import pytest

from commentluv import InvalidURL
from commentluv._shared.urls import fediverse_handle, normalize_site_url


@pytest.mark.parametrize(
    ("typed", "site"),
    [
        ("@alice@mastodon.social", "https://mastodon.social/@alice"),
        ("alice@mastodon.social", "https://mastodon.social/@alice"),
        (" @Alice@Mastodon.Social ", "https://mastodon.social/@alice"),
        ("@a_b.c-d@social.example.org", "https://social.example.org/@a_b.c-d"),
        ("@bob@xn--fa-hia.de", "https://xn--fa-hia.de/@bob"),
        ("@bob@faß.de", "https://xn--fa-hia.de/@bob"),
        ("alice.bsky.social", "https://bsky.app/profile/alice.bsky.social"),
        ("@Alice.bsky.social", "https://bsky.app/profile/alice.bsky.social"),
        ("https://alice.bsky.social/", "https://bsky.app/profile/alice.bsky.social"),
    ],
)
def test_a_handle_is_a_site(typed, site):
    assert normalize_site_url(typed) == site


@pytest.mark.parametrize(
    "typed",
    [
        "@alice@localhost",  # no dot: not a fediverse server's name
        "@alice@127.0.0.1:80",
        "@@mastodon.social",
        "@alice@mastodon.social/extra",
        "alice:secret@mastodon.social",
        "http://alice@mastodon.social/",  # a URL with a user name stays refused
        "@alice@-bad-.example",
    ],
)
def test_what_is_not_a_handle_stays_refused(typed):
    with pytest.raises(InvalidURL):
        normalize_site_url(typed)


def test_the_handle_of_a_profile_url():
    assert fediverse_handle("https://mastodon.social/@alice") == ("alice", "mastodon.social")
    assert fediverse_handle("https://mastodon.social/@alice/") == ("alice", "mastodon.social")
    assert fediverse_handle("https://mastodon.social/@alice/123") is None
    assert fediverse_handle("https://mastodon.social/users/alice") is None
    assert fediverse_handle("https://mastodon.social/@alice?x=1") is None
