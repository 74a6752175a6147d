"""CommentLuv.verify_choice, the save-side check, and the client's small additions for the
comment-form service (lookup_if_cached, fresh_until, choice_secret)."""

from __future__ import annotations

import pytest

from commentluv import CommentLuv, FetchError, MemoryCache
from commentluv.tokens import ChoiceSigner
from tests.support.fakes import Clock

SECRET = "a secret of the blog, long enough"
NOW = Clock().now  # where the clock fixture starts


@pytest.fixture
def luv(web, clock):
    client = CommentLuv(
        transport=web.transport,
        clock=clock,
        cache=MemoryCache(timer=clock),
        stale_ttl=0,
        choice_secret=SECRET,
    )
    yield client
    client.close()


def offer(blog, *indexes, site=None, expires=NOW + 3600):
    return ChoiceSigner(SECRET).issue(
        site or blog.site, [blog.link(f"Post {i}") for i in indexes], int(expires)
    )


def test_an_offered_link_gives_the_feeds_own_post(luv, blog, web):
    luv.recent(blog.site)  # what the service did when it offered the posts
    token = offer(blog, 9, 8, 7)
    check = luv.verify_choice("HTTPS://Jaden.Example", blog.link("Post 8"), token)
    assert check.ok and check.reason == "ok" and check.error is None
    assert check.post.title == "Post 8"  # from the feed, never from the form
    assert check.post.link == blog.link("Post 8")
    assert len(web.requests) == 2  # answered from the cache


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("garbage", "forged"),
        (ChoiceSigner("another blog's secret, also long").issue("x", ["y"], 2**31), "tampered"),
    ],
)
def test_tokens_not_ours_are_refused(luv, blog, token, reason):
    check = luv.verify_choice(blog.site, blog.link("Post 9"), token)
    assert (check.post, check.reason) == (None, reason)


def test_a_tampered_token_is_refused(luv, blog):
    token = offer(blog, 9)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert luv.verify_choice(blog.site, blog.link("Post 9"), flipped).reason == "tampered"


def test_an_expired_token_is_refused(luv, blog, clock):
    token = offer(blog, 9, expires=NOW + 60)
    clock.now += 61
    assert luv.verify_choice(blog.site, blog.link("Post 9"), token).reason == "expired"


def test_a_token_for_another_site_is_refused(luv, blog):
    token = offer(blog, 9, site="https://spam.example/")
    assert luv.verify_choice(blog.site, blog.link("Post 9"), token).reason == "other_site"


def test_a_link_not_offered_is_refused_even_if_it_is_a_real_post(luv, blog, web):
    token = offer(blog, 9, 8)
    for link in (blog.link("Post 2"), "https://spam.example/pills/"):
        check = luv.verify_choice(blog.site, link, token)
        assert (check.post, check.reason) == (None, "not_offered")
    assert web.requests == []  # refused before any lookup


def test_an_offered_post_that_fell_out_of_the_feed_is_not_recent(luv, blog, web):
    token = offer(blog, 9)
    blog.publish("Only a new post")
    assert luv.verify_choice(blog.site, blog.link("Post 9"), token).reason == "not_recent"


def test_without_a_token_a_recent_post_is_accepted(luv, blog):
    check = luv.verify_choice(blog.site, blog.link("Post 0"))  # the tenth latest
    assert check.ok and check.post.title == "Post 0"
    assert luv.verify_choice(blog.site, blog.link("Post 5"), "").post.title == "Post 5"


def test_without_a_token_an_old_or_foreign_link_is_refused(luv, web):
    from tests.support.fakes import FakeBlog

    blog = FakeBlog(web)
    blog.publish(*(f"Post {n}" for n in range(11, -1, -1)))
    assert luv.verify_choice(blog.site, blog.link("Post 1")).reason == "not_recent"  # 11th latest
    assert luv.verify_choice(blog.site, "https://spam.example/").reason == "not_recent"


def test_without_a_token_a_new_post_is_found_with_one_fetch(luv, blog, web):
    luv.recent(blog.site)
    blog.publish("Just published", *(f"Post {n}" for n in range(9, 0, -1)))
    before = len(web.requests)
    check = luv.verify_choice(blog.site, blog.link("Just published"))
    assert check.post.title == "Just published"
    assert len(web.requests) == before + 1  # the known feed, once


def test_an_unknown_link_costs_at_most_one_fetch_after_the_cache(luv, blog, web):
    luv.recent(blog.site)
    before = len(web.requests)
    assert luv.verify_choice(blog.site, "https://jaden.example/nope/").reason == "not_recent"
    assert len(web.requests) == before + 1


def test_a_site_that_cannot_be_read_is_lookup_failed(luv, web):
    web.get("https://down.example/", error=FetchError("the connection was refused"))
    check = luv.verify_choice("https://down.example/", "https://down.example/a/")
    assert (check.post, check.reason, check.error.kind) == (None, "lookup_failed", "unreachable")


def test_a_bad_site_url_is_lookup_failed(luv, web):
    check = luv.verify_choice("javascript:alert(1)", "https://x.example/", offer_token())
    assert (check.reason, check.error.kind) == ("lookup_failed", "invalid_url")
    check = luv.verify_choice("http://10.0.0.1/", "http://10.0.0.1/a/")
    assert (check.reason, check.error.kind) == ("lookup_failed", "blocked")
    assert web.requests == []


def offer_token():
    return ChoiceSigner(SECRET).issue("https://x.example/", ["https://x.example/"], 2**31)


def test_the_deadline_is_shared_by_both_reads(luv, blog, clock, web):
    luv.recent(blog.site)
    before = len(web.requests)
    luv.verify_choice(blog.site, "https://jaden.example/nope/", timeout=1e-9)
    assert len(web.requests) == before  # no time left for the second look


def test_a_token_needs_a_secret(web, blog):
    with CommentLuv(transport=web.transport) as plain:
        with pytest.raises(ValueError, match="choice_secret"):
            plain.verify_choice(blog.site, blog.link("Post 9"), "token")
        assert plain.verify_choice(blog.site, blog.link("Post 9")).ok  # no token: no secret needed


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CommentLuv(choice_secret="hunter2")


def test_lookup_if_cached_never_waits_for_the_network(luv, blog, web):
    assert luv.lookup_if_cached(blog.site) is None
    assert web.requests == []
    luv.recent(blog.site)
    result = luv.lookup_if_cached("https://JADEN.example", 3)
    assert result.cached and [p.title for p in result.posts] == ["Post 9", "Post 8", "Post 7"]
    assert result.fresh_until == NOW + luv.freshness.posts_ttl


def test_lookup_if_cached_gives_remembered_failures_and_bad_urls(luv, web):
    web.get("https://down.example/", error=FetchError("the connection was refused"))
    luv.lookup("https://down.example/")
    remembered = luv.lookup_if_cached("https://down.example/")
    assert remembered.cached and remembered.error.kind == "unreachable"
    assert remembered.fresh_until is None
    assert luv.lookup_if_cached("ftp://x.example/").error.kind == "invalid_url"


def test_lookup_if_cached_serves_stale_posts_and_refreshes_behind(web, blog, clock):
    with CommentLuv(transport=web.transport, clock=clock, cache=MemoryCache(timer=clock)) as luv:
        luv.recent(blog.site)
        clock.now += luv.freshness.posts_ttl + 1
        result = luv.lookup_if_cached(blog.site)
        assert result.cached and result.posts[0].title == "Post 9"
        assert result.fresh_until < clock.now


def test_fetched_results_say_until_when_they_are_fresh(luv, blog):
    assert luv.lookup(blog.site).fresh_until == NOW + luv.freshness.posts_ttl
    assert luv.lookup(blog.site, refresh=True).fresh_until == NOW + luv.freshness.posts_ttl
