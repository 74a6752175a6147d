"""Fediverse handles (issue 22, item 4): ``@alice@host`` is the site ``https://host/@alice``;
when that page names no feed, the server's WebFinger (one request more, under the lookup's
address policy, byte cap and deadline) names the profile page, whose feed is found as for
any profile (Mastodon and Misskey /@alice.rss, GoToSocial /@alice/feed.rss, Pleroma and
Akkoma /users/alice/feed.atom). A ``*.bsky.social`` handle is its bsky.app profile."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from commentluv import CommentLuv, HTTPTransport, MemoryCache
from commentluv._discovery.webfinger import fediverse_feeds, profile_page, webfinger_url
from tests.support.documents import one_post_atom, one_post_rss
from tests.support.tls import self_signed_certificate

RSS = "application/rss+xml"
ATOM = "application/atom+xml"
JRD = "application/jrd+json"


def jrd(profile: str, *, rel: str = "http://webfinger.net/rel/profile-page") -> str:
    return json.dumps({
        "subject": "acct:alice@example.com",
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": profile + "/actor"},
            {"rel": rel, "type": "text/html", "href": profile},
        ],
    })  # fmt: skip


PAGE = "<!DOCTYPE html><html><head>{head}</head><body>Alice</body></html>"


# The pure parts


def test_the_webfinger_query_of_a_handle_site():
    assert webfinger_url("https://example.com/@alice") == (
        "https://example.com/.well-known/webfinger?resource=acct:alice@example.com"
    )
    assert webfinger_url("https://example.com/blog/") is None


@pytest.mark.parametrize(
    ("answer", "profile"),
    [
        (jrd("https://social.example.com/@alice"), "https://social.example.com/@alice"),
        (jrd("https://pl.example/users/alice", rel="self"), "https://pl.example/users/alice"),
        ('{"aliases": ["acct:x", "https://m.example/@alice"]}', "https://m.example/@alice"),
        ('{"links": [{"rel": "self", "type": "application/activity+json",'
         ' "href": "https://m.example/users/alice"}]}', None),
        (jrd("javascript:alert(1)"), None),
        ("<html>not json</html>", None),
        ("[1, 2]", None),
    ],
)  # fmt: skip
def test_the_profile_page_a_webfinger_answer_names(answer, profile):
    assert profile_page(answer.encode()) == profile


def test_where_fediverse_servers_put_a_profiles_feed():
    assert fediverse_feeds("https://m.example/@alice") == [
        "https://m.example/@alice.rss",
        "https://m.example/@alice/feed.rss",
    ]
    assert fediverse_feeds("https://pl.example/users/alice") == [
        "https://pl.example/users/alice/feed.atom",
        "https://pl.example/users/alice.rss",
    ]
    assert fediverse_feeds("https://pl.example/about") == []


# Lookups over a fake web


def serve_mastodon_profile(web) -> None:
    """m.example/@alice links its feed, whose newest post is "A toot"."""
    feed = "https://m.example/@alice.rss"
    web.get(
        "https://m.example/@alice",
        PAGE.format(head=f'<link rel="alternate" type="{RSS}" href="{feed}">'),
    )
    web.get(feed, one_post_rss("A toot", "https://m.example/@alice/1"), content_type=RSS)


@pytest.fixture
def luv(web):
    client = CommentLuv(cache=MemoryCache(), transport=web.transport)
    yield client
    client.close()


def test_a_mastodon_handle_costs_no_webfinger(web, luv):
    serve_mastodon_profile(web)
    post = luv.latest("@alice@m.example")
    assert (post.title, post.site_url) == ("A toot", "https://m.example/@alice")
    assert web.urls() == ["https://m.example/@alice", "https://m.example/@alice.rss"]


@pytest.mark.parametrize("typed", ["alice@m.example", "https://m.example/@alice"])
def test_a_handle_and_its_profile_url_share_one_cache_entry_and_verify_choice(web, luv, typed):
    serve_mastodon_profile(web)
    luv.latest("@alice@m.example")
    sent = len(web.urls())
    check = luv.verify_choice(typed, "https://m.example/@alice/1")
    assert check.ok and check.post is not None and check.post.title == "A toot"
    assert len(web.urls()) == sent  # from the cache: one key for the handle and the URL


def test_a_delegated_handle_goes_through_webfinger(web, luv):
    web.get("https://example.com/@alice", PAGE.format(head=""), status=404)
    query = "https://example.com/.well-known/webfinger?resource=acct:alice@example.com"
    web.get(query, jrd("https://social.example.com/@alice"), content_type=JRD)
    web.get(
        "https://social.example.com/@alice",
        PAGE.format(head=f'<link rel="alternate" type="{RSS}" href="/@alice/feed.rss">'),
    )
    web.get(
        "https://social.example.com/@alice/feed.rss",
        one_post_rss("From GoToSocial", "https://social.example.com/@alice/1"),
        content_type=RSS,
    )
    post = luv.latest("alice@example.com")
    assert (post.title, post.site_url) == ("From GoToSocial", "https://example.com/@alice")
    assert web.urls() == [
        "https://example.com/@alice", query, "https://social.example.com/@alice",
        "https://social.example.com/@alice/feed.rss",
    ]  # fmt: skip


def test_a_pleroma_profile_without_feed_links(web, luv):
    web.get("https://pl.example/@alice", PAGE.format(head=""), status=404)
    query = "https://pl.example/.well-known/webfinger?resource=acct:alice@pl.example"
    web.get(query, jrd("https://pl.example/users/alice", rel="self"), content_type=JRD)
    web.get("https://pl.example/users/alice", PAGE.format(head="<title>Pleroma</title>"))
    web.get(
        "https://pl.example/users/alice/feed.atom",
        one_post_atom("From Pleroma", "https://pl.example/notice/1"),
        content_type=ATOM,
    )
    assert luv.latest("@alice@pl.example").title == "From Pleroma"
    assert query in web.urls() and len(web.urls()) <= 8


def test_a_webfinger_answer_to_a_private_address_is_refused(web, luv):
    web.get("https://example.com/@alice", PAGE.format(head=""), status=404)
    query = "https://example.com/.well-known/webfinger?resource=acct:alice@example.com"
    web.get(query, jrd("http://169.254.169.254/latest"), content_type=JRD)
    result = luv.lookup("@alice@example.com")
    assert result.error is not None
    assert not [url for url in web.urls() if "169.254" in url]


def test_a_bluesky_handle_is_its_profile_feed(web, luv):
    web.get("https://bsky.app/profile/alice.bsky.social", PAGE.format(head=""))
    web.get("https://bsky.app/profile/alice.bsky.social/rss",
            one_post_rss("A skeet", "https://bsky.app/profile/alice.bsky.social/post/1"),
            content_type=RSS)  # fmt: skip
    assert luv.latest("@alice.bsky.social").title == "A skeet"
    assert web.urls() == [
        "https://bsky.app/profile/alice.bsky.social",
        "https://bsky.app/profile/alice.bsky.social/rss",
    ]


# End to end: a TLS server on 127.0.0.1:443 answering for example.com and social.example.com


class _Hosts(http.server.BaseHTTPRequestHandler):
    routes: dict[tuple[str, str], tuple[int, str, str]] = {}
    hits: list[str] = []

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        self.hits.append(f"{host}{self.path}")
        status, content_type, body = self.routes.get((host, self.path), (404, "text/html", "no"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_hosts(tmp_path: Path) -> Iterator[Path]:
    cert, key = self_signed_certificate(tmp_path, "example.com", "social.example.com")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    try:  # a handle's site is https on port 443: the server must be there
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 443), _Hosts)
    except OSError:
        pytest.skip("port 443 on 127.0.0.1 is not available to this test")
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    _Hosts.routes, _Hosts.hits = {}, []
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    try:
        yield cert
    finally:
        server.shutdown()
        server.server_close()


def test_end_to_end_a_handle_through_webfinger(tls_hosts):
    webfinger = "/.well-known/webfinger?resource=acct:alice@example.com"
    _Hosts.routes = {
        ("example.com", webfinger): (200, JRD, jrd("https://social.example.com/@alice")),
        ("social.example.com", "/@alice"): (200, "text/html", PAGE.format(
            head=f'<link rel="alternate" type="{RSS}" href="/@alice.rss">')),
        ("social.example.com", "/@alice.rss"): (
            200, RSS, one_post_rss("Over WebFinger", "https://social.example.com/@alice/1")),
    }  # fmt: skip
    transport = HTTPTransport(resolver=lambda host, port: ["127.0.0.1"], verify=str(tls_hosts))
    with CommentLuv(allow_private_hosts=True, transport=transport) as luv:
        post = luv.latest("@alice@example.com")
    assert (post.title, post.site_url) == ("Over WebFinger", "https://example.com/@alice")
    assert _Hosts.hits == [
        "example.com/@alice", "example.com" + webfinger, "social.example.com/@alice",
        "social.example.com/@alice.rss",
    ]  # fmt: skip


def test_an_email_address_typed_as_a_website_never_reaches_the_providers_home_page(web, luv):
    web.get(
        "https://mail.example/",
        PAGE.format(head=f'<link rel="alternate" type="{RSS}" href="/feed/">'),
    )
    web.get("https://mail.example/feed/", one_post_rss("The provider's news", "https://mail.example/n"),
            content_type=RSS)  # fmt: skip
    web.get("https://mail.example/@john.doe", PAGE.format(head=""), status=404)
    result = luv.lookup("john.doe@mail.example")
    assert result.posts == () and result.error is not None
    assert "https://mail.example/" not in web.urls()
    assert len(web.urls()) <= 3  # the profile, its WebFinger (refused here), nothing more
