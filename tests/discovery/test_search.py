"""The search beyond the page's own feed links (issue 12): meta refresh stubs, a blog under a
subpath, gone or off-blog deep links, dead advertised feeds, and the request budget. Unit
flows over FakeWeb, then the same shapes end to end on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from commentluv import (
    BlockedURL,
    CommentLuv,
    FeedNotFound,
    MemoryCache,
    NotFound,
    TooManyRedirects,
)
from commentluv._discovery.finder import MAX_REQUESTS, SUBPATH_REQUESTS

SITE = "https://ann.example/"
RSS_TYPE = "application/rss+xml"


def rss(title: str, site: str = SITE) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Ann</title>'
        f"<item><title>{title}</title><link>{site}p/1/</link>"
        "<pubDate>Fri, 31 May 2024 09:30:00 +0000</pubDate></item></channel></rss>"
    )


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>Ann</title>{head}</head><body>{body}</body></html>"


def feed_link(href: str) -> str:
    return f'<link rel="alternate" type="application/rss+xml" href="{href}">'


def refresh(content: str, attribute: str = '"refresh"') -> str:
    return page(f"<meta http-equiv={attribute} content={content}>")


@pytest.fixture
def luv(web):
    client = CommentLuv(cache=MemoryCache(), transport=web.transport)
    yield client
    client.close()


# Meta refresh stubs


@pytest.mark.parametrize(
    ("content", "attribute"),
    [
        ('"0; url=/weblog/"', '"refresh"'),
        ('"0;URL=/weblog/"', '"Refresh"'),
        ("\"5; url='/weblog/'\"", "REFRESH"),
        ("'10;url=https://ann.example/weblog/'", "refresh"),
        ('"0.5, /weblog/"', '"refresh"'),
        ('"3;URL = weblog/"', '"refresh"'),
    ],
    ids=["plain", "case", "quoted-url", "absolute", "comma-no-url", "relative-spaces"],
)
def test_a_refresh_stub_is_followed_like_a_redirect(luv, web, content, attribute):
    web.get(SITE, refresh(content, attribute))
    web.get(SITE + "weblog/", page(feed_link("/weblog/feed/")))
    web.get(SITE + "weblog/feed/", rss("Behind the stub"), content_type=RSS_TYPE)
    post = luv.latest(SITE)
    assert (post.title, post.feed_url) == ("Behind the stub", SITE + "weblog/feed/")
    assert web.urls() == [SITE, SITE + "weblog/", SITE + "weblog/feed/"]  # one extra request


def test_a_slow_refresh_or_one_to_the_page_itself_is_not_followed(luv, web):
    web.get(SITE, refresh('"30; url=/weblog/"'))
    with pytest.raises(FeedNotFound):
        luv.latest(SITE)
    assert SITE + "weblog/" not in web.urls()
    web.get("https://bob.example/", refresh('"0; url=/"'))
    with pytest.raises(FeedNotFound):
        luv.latest("https://bob.example/")
    assert web.urls().count("https://bob.example/") == 1


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "ftp://ann.example/", "http://127.0.0.1/", "http://[::1]/"]
)
def test_a_refresh_to_a_refused_url_is_refused_as_a_redirect_would_be(luv, web, target):
    web.get(SITE, refresh(f'"0; url={target}"'))
    with pytest.raises(BlockedURL):
        luv.latest(SITE)
    assert web.urls() == [SITE]


def test_refreshes_share_the_redirect_hop_limit(web):
    luv = CommentLuv(transport=web.transport, max_redirects=2)
    web.get(SITE, status=301, headers={"Location": SITE + "a/"})
    web.get(SITE + "a/", refresh('"0; url=/b/"'))
    web.get(SITE + "b/", refresh('"0; url=/c/"'))
    web.get(SITE + "c/", page(feed_link("/feed/")))
    with pytest.raises(TooManyRedirects):
        luv.latest(SITE)
    assert SITE + "c/" not in web.urls()
    web.get(SITE + "a/", refresh('"0; url=/b/"'))
    web.get(SITE + "b/", refresh('"0; url=/a/"'))
    with pytest.raises(TooManyRedirects, match="loop"):
        luv.latest("https://ann.example/a/")


# A blog under a subpath


@pytest.mark.parametrize(
    "anchor",
    [
        '<a href="/blog/">Home of my thoughts</a>',
        '<a href="/en/weblog">Read</a>',
        '<a href="/section-7/">Blog</a>',
        '<a href="/x/">Artículos</a>',
        '<a href="/x/">Блог</a>',
        '<a href="/x/">ブログ</a>',
        '<a href="https://www.ann.example/x/">My Journal</a>',
    ],
)
def test_a_blog_linked_from_the_navigation_is_found(luv, web, anchor):
    web.get(
        SITE, page(body=f"<nav><a href='/'>Home</a> <a href='/about/'>About</a> {anchor}</nav>")
    )
    target = anchor.split('"')[1]
    blog = target if target.startswith("https:") else SITE.rstrip("/") + target
    web.get(blog, page(feed_link(blog.rstrip("/") + "/feed.xml")))
    web.get(blog.rstrip("/") + "/feed.xml", rss("Under a subpath"), content_type=RSS_TYPE)
    assert luv.latest(SITE).title == "Under a subpath"
    urls = web.urls()
    assert urls[0] == SITE and urls[-2:] == [blog, blog.rstrip("/") + "/feed.xml"]
    assert len(urls) <= MAX_REQUESTS
    assert SITE + "about/" not in urls


def test_the_subpath_search_is_bounded(luv, web):
    links = "".join(f"<a href='/blog{n}/'>Blog</a>" for n in range(10))
    web.get(SITE, page(body=links))
    for n in range(10):  # each blog page links a dead feed and the other blog pages
        web.get(f"{SITE}blog{n}/", page(feed_link(f"/blog{n}/gone.rss"), links))
    with pytest.raises(FeedNotFound):
        luv.latest(SITE)
    urls = web.urls()
    subpath = urls[urls.index(SITE + "blog0/") :]
    assert subpath == [SITE + "blog0/", SITE + "blog0/gone.rss", SITE + "blog1/"]
    assert len(subpath) == SUBPATH_REQUESTS and len(urls) <= MAX_REQUESTS


# Deep links: gone, or not the blog


def test_a_gone_deep_link_uses_the_feed_links_of_its_error_page(luv, web):
    deep = SITE + "2019/05/old-post/"
    web.get(deep, page(feed_link("/feed/")), status=404)
    web.get(SITE + "feed/", rss("Still here"), content_type=RSS_TYPE)
    assert luv.latest(deep).title == "Still here"
    assert web.urls() == [deep, SITE + "feed/"]


@pytest.mark.parametrize(
    ("deep", "status"),
    [
        ("2019/05/old-post/", 410),
        ("about/", 200),
        ("index.php?page=about", 200),
        ("people/ann/profile", 200),
    ],
)
def test_a_deep_link_without_a_feed_tries_the_site_root_once(luv, web, deep, status):
    web.get(SITE + deep, page(body="<p>about me</p>"), status=status)
    web.get(SITE, page(feed_link("/feed/")))
    web.get(SITE + "feed/", rss("From the root"), content_type=RSS_TYPE)
    post = luv.latest(SITE + deep)
    assert post.title == "From the root"
    assert web.urls().count(SITE) == 1 and web.urls()[-2:] == [SITE, SITE + "feed/"]
    assert len(web.urls()) <= MAX_REQUESTS


def test_a_gone_url_whose_site_has_no_feed_is_not_found(luv, web):
    web.get(SITE + "gone/", page(), status=404)
    web.get(SITE, page())
    with pytest.raises(NotFound):
        luv.latest(SITE + "gone/")
    assert web.urls()[:2] == [SITE + "gone/", SITE]


# Dead advertised feeds


def test_every_dead_advertised_feed_is_logged_and_the_guesses_follow(luv, web, caplog):
    head = feed_link("https://feeds.feedburner.com/AnnGone") + feed_link("/old.rss")
    web.get(SITE, page(head + '<meta name="generator" content="WordPress 6.5">'))
    web.get("https://feeds.feedburner.com/AnnGone", status=404)
    web.get(SITE + "old.rss", page("<title>Not a feed</title>"))
    web.get(SITE + "feed/", rss("The real feed"), content_type=RSS_TYPE)
    with caplog.at_level(logging.DEBUG, logger="commentluv"):
        assert luv.latest(SITE).title == "The real feed"
    assert "candidate https://feeds.feedburner.com/AnnGone rejected: not_found" in caplog.text
    assert f"candidate {SITE}old.rss is not a feed" in caplog.text


# The budget


def test_a_lookup_never_sends_more_than_eight_requests(web):
    luv = CommentLuv(transport=web.transport, max_candidates=20, max_redirects=10)
    web.get(SITE, page("".join(feed_link(f"/s{n}/feed/") for n in range(20))))
    for n in range(20):  # every advertised feed redirects three times, then fails
        for hop in range(3):
            web.get(
                f"{SITE}s{n}/feed/{'x' * hop}", status=302, headers={"Location": "x" * (hop + 1)}
            )
    with pytest.raises(FeedNotFound):
        luv.latest(SITE)
    assert len(web.urls()) == MAX_REQUESTS  # the page, one candidate's four, three of the next


# The same shapes on a real server (127.0.0.1)


def lookup(site, path: str = "/") -> tuple[str, str]:
    with CommentLuv(allow_private_hosts=True) as luv:
        post = luv.latest(site.url + path)
    return post.title, post.feed_url


def serve_feed(site, path: str, title: str) -> None:
    site.add(path, rss(title, site.url + "/"), headers={"Content-Type": RSS_TYPE})


def test_end_to_end_a_refresh_stub_costs_one_request(site):
    site.add("/", refresh('"0; URL=/weblog/"'))
    site.add("/weblog/", page(feed_link("/weblog/feed/")))
    serve_feed(site, "/weblog/feed/", "Behind the stub")
    assert lookup(site) == ("Behind the stub", site.url + "/weblog/feed/")
    assert site.paths() == ["/", "/weblog/", "/weblog/feed/"]


def test_end_to_end_a_blog_under_a_subpath(site):
    site.add(
        "/", page(body="<header><a href='/about/'>About</a> <a href='/blog/'>Blog</a></header>")
    )
    site.add("/blog/", page(feed_link("/blog/feed.xml")))
    serve_feed(site, "/blog/feed.xml", "Under the subpath")
    assert lookup(site) == ("Under the subpath", site.url + "/blog/feed.xml")
    paths = site.paths()
    assert paths[0] == "/" and paths[-2:] == ["/blog/", "/blog/feed.xml"]
    assert len(paths) <= MAX_REQUESTS and "/about/" not in paths


def test_end_to_end_a_gone_deep_link(site):
    site.add("/2019/05/old-post/", page(feed_link("/feed/")), status=404)
    serve_feed(site, "/feed/", "Still here")
    assert lookup(site, "/2019/05/old-post/") == ("Still here", site.url + "/feed/")
    assert site.paths() == ["/2019/05/old-post/", "/feed/"]


def test_end_to_end_a_deep_link_that_is_not_the_blog(site):
    site.add("/index.php?page=about", page(body="<p>About me</p>"))
    site.add("/", page(feed_link("/feed/")))
    serve_feed(site, "/feed/", "From the root")
    assert lookup(site, "/index.php?page=about") == ("From the root", site.url + "/feed/")
    paths = site.paths()
    assert paths[0] == "/index.php?page=about" and paths[-2:] == ["/", "/feed/"]
    assert len(paths) <= MAX_REQUESTS


def test_end_to_end_a_dead_advertised_feed(site):
    head = feed_link("/gone.rss") + '<meta name="generator" content="WordPress 6.5">'
    site.add("/", page(head))
    serve_feed(site, "/feed/", "The real feed")
    assert lookup(site) == ("The real feed", site.url + "/feed/")
    assert site.paths() == ["/", "/gone.rss", "/feed/"]


def test_end_to_end_a_comments_feed_in_another_language_listed_first(site):
    head = (
        "<link rel='alternate' type='application/rss+xml' title='Ann » Kommentar-Feed'"
        " href='/kommentare/feed/'>" + feed_link("/feed/")
    )
    site.add("/", page(head))
    serve_feed(site, "/kommentare/feed/", "Ein Kommentar")
    serve_feed(site, "/feed/", "Der neueste Beitrag")
    assert lookup(site) == ("Der neueste Beitrag", site.url + "/feed/")
    assert site.paths() == ["/", "/feed/"]


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Q&A Night: R&D &nbsp;questions", "Q&A Night: R&D questions"),
        ("<br> &amp; Caf&eacute;", "& Café"),
        (" - ", "The post's own words"),
    ],
)
def test_end_to_end_titles_as_the_author_wrote_them(site, written, shown):
    site.add("/", page(feed_link("/feed/")))
    feed = rss("TITLE").replace("</link>", "</link><description>The post's own words</description>")
    site.add("/feed/", feed.replace("TITLE", written), headers={"Content-Type": RSS_TYPE})
    assert lookup(site)[0] == shown
