"""The comment-form service, called as a WSGI app: endpoints, status codes, caching headers,
CORS, tokens. Sites are on a FakeWeb (MockTransport); rate limits are in test_web_limits."""

from __future__ import annotations

import logging

import pytest

from commentluv import CommentLuv, FeedNotFound, FetchError, FetchTimeout, MemoryCache, NotFound
from commentluv.web import make_app
from tests.support.fakes import Clock

SECRET = b"the blog's own secret, 32 bytes!"
NOW = Clock().now  # where the clock fixture starts


@pytest.fixture
def luv(web, clock):
    client = CommentLuv(
        transport=web.transport, clock=clock, cache=MemoryCache(timer=clock), choice_secret=SECRET
    )
    yield client
    client.close()


@pytest.fixture
def app(luv):
    return make_app(luv, rate_limit=None, allowed_origins=["https://blog.example"])


def test_recent_lists_titles_links_dates_and_a_token_that_verifies(app, blog, luv, wsgi):
    answer = wsgi(app, "/recent", {"url": "https://jaden.example"})
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    data = answer.json
    assert data["ok"] is True and data["site"] == "https://jaden.example/"
    assert len(data["posts"]) == 10
    assert data["posts"][0] == {
        "title": "Post 9",
        "link": blog.link("Post 9"),
        "published": "2026-11-28T10:00:00+00:00",
    }
    for post in data["posts"]:
        check = luv.verify_choice("https://jaden.example", post["link"], data["choice_token"])
        assert check.ok and check.post.title == post["title"]
    assert luv.verify_choice(blog.site, "https://spam.example/", data["choice_token"]).reason == (
        "not_offered"
    )


def test_limit(app, blog, wsgi):
    answer = wsgi(app, "/recent", {"url": blog.site, "limit": "3"})
    assert [post["title"] for post in answer.json["posts"]] == ["Post 9", "Post 8", "Post 7"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"url": ""},
        {"url": "   "},
        {"url": "https://jaden.example/", "limit": "0"},
        {"url": "https://jaden.example/", "limit": "11"},
        {"url": "https://jaden.example/", "limit": "ten"},
        {"url": "https://jaden.example/", "limit": "-1"},
        {"url": "https://jaden.example/" + "a" * 3000},
        "&".join(f"p{n}=1" for n in range(30)),
    ],
)
def test_bad_input_is_400(app, web, wsgi, query):
    answer = wsgi(app, "/recent", query)
    assert answer.status == 400
    assert answer.json["ok"] is False and answer.json["error"]["kind"] == "bad_request"
    assert answer.headers["cache-control"] == "no-store"
    assert web.requests == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("javascript:alert(1)", "invalid_url"),
        ("https://user:pw@jaden.example/", "invalid_url"),
        ("http://10.0.0.1/", "blocked"),
        ("http://169.254.169.254/latest/", "blocked"),
        ("http://localhost:8080/", "blocked"),
    ],
)
def test_urls_the_client_refuses_are_400_with_its_kind(app, web, wsgi, url, kind):
    answer = wsgi(app, "/recent", {"url": url})
    assert (answer.status, answer.json["error"]["kind"]) == (400, kind)
    assert web.requests == []  # the client's guard ran before any fetch


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (FetchError("the connection was refused"), 502, "unreachable"),
        (FetchTimeout("the lookup's deadline passed"), 504, "timeout"),
        (NotFound("HTTP 404", status=404), 502, "not_found"),
        (FeedNotFound("no feed"), 502, "no_feed"),
    ],
)
def test_lookup_failures_map_to_gateway_statuses(app, web, wsgi, error, status, kind):
    web.get("https://down.example/", error=error)
    answer = wsgi(app, "/recent", {"url": "https://down.example/"})
    assert (answer.status, answer.json["error"]["kind"]) == (status, kind)
    assert answer.headers["cache-control"] == "no-store"
    again = wsgi(app, "/recent", {"url": "https://down.example/"})  # remembered by the client
    assert again.status == status and len(web.requests) == 1


def test_an_upstream_http_error_carries_its_status(app, web, wsgi):
    web.get("https://gone.example/", status=410)
    error = wsgi(app, "/recent", {"url": "https://gone.example/"}).json["error"]
    assert error["kind"] == "not_found" and error["status"] == 410


def test_bodies_never_leave_the_service(app, web, wsgi):
    from tests.support.fakes import FakeBlog

    FakeBlog(web, "https://body.example/")
    web.get(
        "https://body.example/feed/",
        """<rss version="2.0"><channel><title>B</title><item><title>Hello</title>
        <link>https://body.example/hello/</link><description>SECRET BODY TEXT</description>
        </item><item><title>No link</title></item></channel></rss>""",
        content_type="application/rss+xml",
    )
    answer = wsgi(app, "/recent", {"url": "https://body.example/"})
    assert b"SECRET BODY" not in answer.body
    assert [set(post) for post in answer.json["posts"]] == [{"title", "link", "published"}]
    assert set(answer.json) == {"ok", "site", "posts", "choice_token", "line"}  # no unlinked one


def test_a_feed_without_linked_posts_is_502(app, web, wsgi):
    from tests.support.fakes import FakeBlog

    FakeBlog(web, "https://nolinks.example/")
    web.get(
        "https://nolinks.example/feed/",
        '<rss version="2.0"><channel><title>B</title><item><title>Hi</title></item></channel></rss>',
        content_type="application/rss+xml",
    )
    answer = wsgi(app, "/recent", {"url": "https://nolinks.example/"})
    assert (answer.status, answer.json["error"]["kind"]) == (502, "no_posts")


def test_cache_control_follows_the_clients_freshness(app, blog, clock, wsgi, luv):
    first = wsgi(app, "/recent", {"url": blog.site})
    assert first.headers["cache-control"] == f"public, max-age={int(luv.freshness.posts_ttl)}"
    clock.now += 1000
    later = wsgi(app, "/recent", {"url": blog.site})
    assert (
        later.headers["cache-control"] == f"public, max-age={int(luv.freshness.posts_ttl) - 1000}"
    )
    clock.now += luv.freshness.posts_ttl  # stale: served while a refresh runs behind
    assert wsgi(app, "/recent", {"url": blog.site}).headers["cache-control"] == "no-cache"


def test_repeated_calls_get_the_same_etag_and_then_304(app, blog, clock, wsgi):
    first = wsgi(app, "/recent", {"url": blog.site})
    clock.now += 30
    second = wsgi(app, "/recent", {"url": blog.site})
    assert first.body == second.body  # the token is signed at whole minutes, not per call
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        answer = wsgi(app, "/recent", {"url": blog.site}, headers={"If-None-Match": header})
        assert answer.status == 304 and answer.body == b""
        assert answer.headers["etag"] == etag and "cache-control" in answer.headers
        assert "content-length" not in answer.headers
    stale = wsgi(app, "/recent", {"url": blog.site}, headers={"If-None-Match": '"old"'})
    assert stale.status == 200


def test_the_token_outlives_the_cached_answer(app, blog, clock, wsgi, luv):
    data = wsgi(app, "/recent", {"url": blog.site}).json
    clock.now += luv.freshness.posts_ttl + 3500  # a browser's copy went stale; the form is sent
    assert luv.verify_choice(blog.site, blog.link("Post 9"), data["choice_token"]).ok
    clock.now += 200
    assert luv.verify_choice(blog.site, blog.link("Post 9"), data["choice_token"]).reason == (
        "expired"
    )


def test_backlink(app, blog, wsgi):
    answer = wsgi(app, "/backlink", {"url": blog.site, "name": "Jaden", "style": "recent"})
    assert answer.status == 200
    assert answer.json["backlink"] == "Jaden recently posted..Post 9"
    assert answer.json["post"]["link"] == blog.link("Post 9")
    query = {"url": blog.site, "name": "<b>Jo</b> & Co", "format": "html"}
    html = wsgi(app, "/backlink", query).json
    assert html["backlink"] == (  # tags dropped, the rest escaped
        f'.-= Jo &amp; Co\'s last blog ..<a href="{blog.link("Post 9")}" '
        'rel="nofollow ugc">Post 9</a> =-.'
    )


@pytest.mark.parametrize(
    "query",
    [
        {"style": "<script>{title}</script>"},  # templates are the developer's, not strangers'
        {"style": "fancy"},
        {"format": "pdf"},
        {"name": "n" * 201},
    ],
)
def test_backlink_bad_input_is_400(app, blog, wsgi, query):
    answer = wsgi(app, "/backlink", {"url": blog.site, **query})
    assert (answer.status, answer.json["error"]["kind"]) == (400, "bad_request")


def test_unknown_paths_are_404_json(app, wsgi):
    for path in ("/", "/recent/", "/admin", "/commentluv.js.map"):
        answer = wsgi(app, path)
        assert (answer.status, answer.json["error"]["kind"]) == (404, "unknown_endpoint")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(app, wsgi, method):
    answer = wsgi(app, "/recent", {"url": "https://jaden.example/"}, method=method)
    assert (answer.status, answer.json["error"]["kind"]) == (405, "method_not_allowed")
    assert answer.headers["allow"] == "GET, HEAD, OPTIONS"


def test_head_has_the_headers_and_no_body(app, blog, wsgi):
    get = wsgi(app, "/recent", {"url": blog.site})
    head = wsgi(app, "/recent", {"url": blog.site}, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(get.body))
    assert head.headers["etag"] == get.headers["etag"]


def test_cors_only_for_allowed_origins(app, blog, wsgi):
    allowed = wsgi(app, "/recent", {"url": blog.site}, headers={"Origin": "https://blog.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://blog.example"
    assert allowed.headers["vary"] == "Origin"
    other = wsgi(app, "/recent", {"url": blog.site}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers and other.headers["vary"] == "Origin"
    bare = wsgi(app, "/recent", {"url": blog.site})
    assert "access-control-allow-origin" not in bare.headers


def test_preflight(app, wsgi):
    answer = wsgi(app, "/recent", method="OPTIONS", headers={"Origin": "https://blog.example"})
    assert answer.status == 204 and answer.body == b""
    assert answer.headers["access-control-allow-origin"] == "https://blog.example"
    assert answer.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    refused = wsgi(app, "/recent", method="OPTIONS", headers={"Origin": "https://evil.example"})
    assert refused.status == 204 and "access-control-allow-methods" not in refused.headers


def test_no_cors_headers_unless_configured(luv, blog, wsgi):
    app = make_app(luv)
    answer = wsgi(app, "/recent", {"url": blog.site}, headers={"Origin": "https://blog.example"})
    assert not any(name.startswith("access-control") or name == "vary" for name in answer.headers)


def test_any_origin(luv, blog, wsgi):
    app = make_app(luv, allowed_origins=["*"])
    answer = wsgi(app, "/recent", {"url": blog.site}, headers={"Origin": "https://a.example"})
    assert answer.headers["access-control-allow-origin"] == "*"


def test_the_widget_and_its_stylesheet_are_served(app, wsgi):
    script = wsgi(app, "/commentluv.js")
    assert script.status == 200 and script.headers["content-type"].startswith("text/javascript")
    assert b"commentluv" in script.body
    again = wsgi(app, "/commentluv.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status == 304
    style = wsgi(app, "/commentluv.css")
    assert style.status == 200 and style.headers["content-type"].startswith("text/css")


def test_a_bug_is_a_500_json_never_a_traceback(luv, blog, wsgi, caplog, monkeypatch):
    app = make_app(luv)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug with /secret/path in it")

    monkeypatch.setattr(luv, "lookup_if_cached", broken)
    with caplog.at_level(logging.ERROR, logger="commentluv"):
        answer = wsgi(app, "/recent", {"url": blog.site})
    assert (answer.status, answer.json["error"]["kind"]) == (500, "internal_error")
    assert b"secret" not in answer.body and b"Traceback" not in answer.body
    assert "a bug with" in caplog.text  # logged for the operator


def test_a_secret_is_required(web):
    with CommentLuv(transport=web.transport) as plain, pytest.raises(ValueError, match="secret"):
        make_app(plain)


def test_two_different_secrets_are_refused(luv):
    with pytest.raises(ValueError, match="differs"):
        make_app(luv, secret=b"some other secret, long enough")
    make_app(luv, secret=SECRET)  # the same one is fine


def test_a_secret_for_a_client_without_one(web, blog, wsgi):
    with CommentLuv(transport=web.transport) as plain:
        token = wsgi(make_app(plain, secret=SECRET), "/recent", {"url": blog.site}).json[
            "choice_token"
        ]
    with CommentLuv(transport=web.transport, choice_secret=SECRET) as save_side:
        assert save_side.verify_choice(blog.site, blog.link("Post 3"), token).ok


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_cold_lookups": 0}, "max_cold_lookups"),
        ({"token_ttl": 0}, "token_ttl"),
        ({"trusted_proxies": ["not an address"]}, "does not appear to be an IPv4 or IPv6"),
    ],
)
def test_bad_options_are_refused(luv, options, message):
    with pytest.raises(ValueError, match=message):
        make_app(luv, **options)
