"""The loopback corpus: synthetic sites modelled on real blog platforms, one port each.

Every site is a ThreadingHTTPServer on 127.0.0.1 with an injected per-request latency (a
stand-in for the internet) that counts the requests it answers and the body bytes it
writes. The servers run in a child process (:func:`start`) so that the CPU time measured
in the benchmark process is the tools' alone. Control paths, never counted:
``/__stats__`` (JSON ``{"requests", "bytes", "paths"}``), ``/__reset__`` and
``/__latency__/<ms>``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.request import urlopen

NEWEST = datetime(2024, 5, 31, 9, 30, tzinfo=timezone.utc)
RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
HTML = "text/html; charset=UTF-8"
WRITE_CHUNK = 16 * 1024
FULL_TEXT = "Full text of the post, with <b>markup</b>. "


@dataclass
class Route:
    body: bytes = b""
    content_type: str = HTML
    status: int = 200
    location: str | None = None
    gzip: bool = False


@dataclass
class Site:
    """A site: its routes, the URL a commenter would type (a path) and the right answer."""

    name: str
    routes: dict[str, Route]
    start: str = "/"
    feed_path: str = "/feed/"
    title: str = ""
    port: int = 0
    # Other paths serving the same posts (an RSS twin of an Atom feed, a redirect to the feed).
    also: tuple[str, ...] = ()
    notes: str = ""


# Documents


def _posts(name: str, count: int, *, oldest_first: bool = False) -> list[tuple[str, str, datetime]]:
    day = timedelta(days=1)
    posts = [
        (
            f"{name.title()} post {count - n}: notes from the week",
            f"/{count - n}/",
            NEWEST - day * n,
        )
        for n in range(count)
    ]
    return posts[::-1] if oldest_first else posts


def rss2(name: str, count: int = 10, *, body_words: int = 40, oldest_first: bool = False) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://{name}.example{path}</link>"
        f"<pubDate>{format_datetime(date, usegmt=True)}</pubDate>"
        f'<guid isPermaLink="false">{name}-{path}</guid><dc:creator>Ann</dc:creator>'
        f"<description>&lt;p&gt;{'Some words here. ' * 5}&lt;/p&gt;</description>"
        f"<content:encoded><![CDATA[<p>{FULL_TEXT * body_words}</p>]]></content:encoded>"
        "</item>"
        for title, path, date in _posts(name, count, oldest_first=oldest_first)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>{name}</title><link>https://{name}.example/</link>"
        f'<atom:link href="https://{name}.example/feed/" rel="self" type="application/rss+xml"/>'
        f"<description>{name}</description>{items}</channel></rss>"
    ).encode()


def atom(name: str, count: int = 10) -> bytes:
    entries = "".join(
        f"<entry><title type='html'>{title}</title><id>tag:{name},2024:{path}</id>"
        f"<link rel='replies' type='text/html' href='https://{name}.example{path}#comments'/>"
        f"<link rel='alternate' type='text/html' href='https://{name}.example{path}'/>"
        f"<published>{date.isoformat()}</published><updated>{date.isoformat()}</updated>"
        f"<content type='html'>&lt;p&gt;{'Text of the post. ' * 40}&lt;/p&gt;</content></entry>"
        for title, path, date in _posts(name, count)
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{name}</title><id>tag:{name}</id><updated>{NEWEST.isoformat()}</updated>"
        f"{entries}</feed>"
    ).encode()


def rdf(name: str, count: int = 10) -> bytes:
    items = "".join(
        f"<item rdf:about='https://{name}.example{path}'><title>{title}</title>"
        f"<link>https://{name}.example{path}</link><dc:date>{date.isoformat()}</dc:date></item>"
        for title, path, date in _posts(name, count)
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rdf:RDF "
        "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns='http://purl.org/rss/1.0/' "
        "xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        f"<channel rdf:about='https://{name}.example/'><title>{name}</title>"
        f"<link>https://{name}.example/</link><description>d</description></channel>{items}</rdf:RDF>"
    ).encode()


def json_feed(name: str, count: int = 10) -> bytes:
    items = [
        {
            "id": path,
            "url": f"https://{name}.example{path}",
            "title": title,
            "content_html": "<p>text</p>",
            "date_published": date.isoformat(),
        }
        for title, path, date in _posts(name, count)
    ]
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": name, "items": items}
    ).encode()


def page(
    name: str,
    links: str = "",
    *,
    generator: str = "",
    body: str = "",
    filler: int = 0,
) -> bytes:
    meta = f"<meta name='generator' content='{generator}'>" if generator else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{name}</title>{meta}<link rel='stylesheet' href='/style.css'>{links}</head>"
        f"<body><header><a href='/'>{name}</a> <a href='/about/'>About</a></header>"
        f"<main>{body}{'<p>Lorem ipsum dolor sit amet, consectetur adipiscing.</p>' * filler}"
        "</main></body></html>"
    ).encode()


def link(href: str, kind: str = "rss", title: str = "Feed") -> str:
    media = {"rss": RSS, "atom": ATOM, "json": "application/feed+json"}[kind].split(";")[0]
    return f"<link rel='alternate' type='{media}' title='{title}' href='{href}'>"


# The sites


def _site(name: str, routes: dict[str, Route], feed_path: str, **kwargs: Any) -> Site:
    # The newest post is the one with the highest number (see _posts).
    newest = max(int(n) for n in re.findall(rb" post (\d+): ", routes[feed_path].body))
    title = f"{name.title()} post {newest}: notes from the week"
    return Site(name, routes, feed_path=feed_path, title=title, **kwargs)


def _blog(
    name: str,
    feed_path: str,
    feed: bytes,
    *,
    kind: str = "rss",
    start: str = "/",
    generator: str = "",
    filler: int = 0,
    **kwargs: Any,
) -> Site:
    """The common shape: a page at ``start`` whose head links the feed."""
    home = page(name, link(feed_path, kind), generator=generator, filler=filler)
    media = {"rss": RSS, "atom": ATOM, "json": "application/feed+json"}[kind]
    routes = {start: Route(home), feed_path: Route(feed, media)}
    return _site(name, routes, feed_path, start=start, **kwargs)


def h_feed_page(name: str, count: int = 10) -> bytes:
    """An IndieWeb home page: its posts as h-entry items, and no feed."""
    items = "".join(
        f"<article class='h-entry'><h2 class='p-name'><a class='u-url' href='{path}'>{title}"
        f"</a></h2><time class='dt-published' datetime='{date.isoformat()}'></time>"
        f"<div class='e-content'><p>{FULL_TEXT * 5}</p></div></article>"
        for title, path, date in _posts(name, count)
    )
    return page(name, body=f"<div class='h-feed'>{items}</div>")


def _retitled(name: str, written: str, shown: str, notes: str) -> Site:
    """A blog whose newest post is titled ``written`` in its feed, to be read as ``shown``."""
    newest = f"<title>{name.title()} post 10: notes from the week</title>"
    feed = rss2(name).replace(newest.encode(), f"<title>{written}</title>".encode(), 1)
    routes = {"/": Route(page(name, link("/feed/"))), "/feed/": Route(feed, RSS)}
    return Site(name, routes, title=shown, notes=notes)


def _leading_to(name: str, pages: dict[str, Route], feed_path: str, **kwargs: Any) -> Site:
    """Pages that lead to the RSS feed of ``name``'s posts at ``feed_path``."""
    return _site(name, {**pages, feed_path: Route(rss2(name), RSS)}, feed_path, **kwargs)


def issue_12_sites() -> list[Site]:
    """One site per shape of issue 12 (the long tail of commenters' sites)."""
    stub = b"<html><head><meta http-equiv='Refresh' content='0; URL=/weblog/'></head></html>"
    # (name, pages, feed path, the URL typed, what it shows)
    leading: list[tuple[str, dict[str, Route], str, str, str]] = [
        ("meta-refresh", {"/": Route(stub), "/weblog/": Route(page("r", link("/weblog/feed/")))},
         "/weblog/feed/", "/", "a meta refresh stub"),
        ("subpath", {"/": Route(page("s", body="<nav><a href='/blog/'>Blog</a></nav>")),
                     "/blog/": Route(page("s", link("/blog/feed.xml")))},
         "/blog/feed.xml", "/", "the blog under a subpath"),
        ("deep-404", {"/2019/05/old-post/": Route(page("d", link("/feed/")), status=404)},
         "/feed/", "/2019/05/old-post/", "a gone deep link whose error page links the feed"),
        ("deep-not-blog", {"/index.php?page=about": Route(page("n", body="<p>About me</p>")),
                           "/": Route(page("n", link("/feed/")))},
         "/feed/", "/index.php?page=about", "a deep link without a feed: the site root"),
        ("dead-feed", {"/": Route(page("f", link("/old.rss"), generator="WordPress 6.6.2"))},
         "/feed/", "/", "the advertised feed is gone"),
    ]  # fmt: skip
    return [
        *(
            _leading_to(name, pages, feed, start=start, notes=notes)
            for name, pages, feed, start, notes in leading
        ),
        _retitled(
            "raw-ampersand",
            "Q&A Night: R&D &nbsp;questions",
            "Q&A Night: R&D questions",
            notes="a raw & and an HTML entity in a title",
        ),
        _retitled(
            "wordless-title",
            " - ",
            " ".join(["Some words here."] * 5),
            notes="a title of punctuation: the post's text",
        ),
        _leading_to(
            "comments-i18n",
            {
                "/": Route(
                    page(
                        "comments-i18n",
                        link("/kommentare/feed/", title="Blog » Kommentar-Feed")
                        + link("/feed/", title="Blog » Feed"),
                    )
                ),
                "/kommentare/feed/": Route(rss2("kommentare", 20), RSS),
            },
            "/feed/",
            notes="a German comments feed listed first",
        ),
        _site(
            "h-feed",
            {"/": Route(h_feed_page("h-feed"))},
            "/",
            notes="IndieWeb: h-entry items, no feed",
        ),
        _site(
            "fediverse",
            {
                "/@ann": Route(page("fediverse")),
                "/@ann.rss": Route(rss2("fediverse", 20, body_words=3), RSS),
            },
            "/@ann.rss",
            start="/@ann",
            notes="a fediverse profile that links no feed",
        ),
    ]


def sites() -> list[Site]:
    """43 sites; deterministic, so the server process builds the same corpus."""
    wordpress = [
        _site(
            f"wp{n}",
            {
                "/": Route(page(f"wp{n}", links, generator="WordPress 6.6.2")),
                "/feed/": Route(rss2(f"wp{n}"), RSS),
                "/comments/feed/": Route(rss2("comments"), RSS),
            },
            "/feed/",
        )
        for n, links in enumerate(
            (
                link("/feed/") + link("/comments/feed/", title="Comments Feed"),
                link("/feed/") + link("/comments/feed/", title="Comments Feed") + link("/x.rdf"),
                # Comments feed first: the main feed must still win.
                link("/comments/feed/", title="Comments Feed") + link("/feed/"),
            )
        )
    ]
    return [
        *wordpress,
        _site(
            "blogger",
            {
                "/": Route(page("blogger", link("/feeds/posts/default", "atom") + link("/b?rss"))),
                "/feeds/posts/default": Route(atom("blogger"), ATOM),
                "/b?rss": Route(rss2("blogger"), RSS),
            },
            "/feeds/posts/default",
            also=("/b?rss",),
        ),
        _blog("medium", "/feed/@ann", rss2("medium"), start="/@ann"),
        _blog("substack", "/feed", rss2("substack")),
        _blog("ghost", "/rss/", rss2("ghost"), generator="Ghost 5.82"),
        _blog("tumblr", "/rss", rss2("tumblr", body_words=5)),
        _blog("jekyll", "/feed.xml", atom("jekyll"), kind="atom", generator="Jekyll v4.3.3"),
        _blog("hugo", "/index.xml", rss2("hugo", body_words=0), generator="Hugo 0.128.0"),
        _blog("squarespace", "/blog?format=rss", rss2("squarespace"), start="/blog"),
        _blog("jsonfeed", "/feed.json", json_feed("jsonfeed"), kind="json"),
        _site(
            "rss1",
            {
                "/": Route(page("rss1", link("/index.rdf", title="RSS 1.0"))),
                "/index.rdf": Route(rdf("rss1"), "application/rdf+xml"),
            },
            "/index.rdf",
        ),
        _blog("movabletype", "/atom.xml", atom("movabletype"), kind="atom"),
        _blog("drupal", "/rss.xml", rss2("drupal"), generator="Drupal 10"),
        _blog("wix", "/blog-feed.xml", rss2("wix"), generator="Wix.com Website Builder"),
        _blog("weebly", "/blog/feed", rss2("weebly"), start="/blog"),
        _blog("mastodon", "/@ann.rss", rss2("mastodon", 20, body_words=3), start="/@ann"),
        _site(
            "microblog",
            {
                "/": Route(page("microblog", link("/feed.json", "json") + link("/feed.xml"))),
                "/feed.json": Route(json_feed("microblog"), "application/feed+json"),
                "/feed.xml": Route(rss2("microblog"), RSS),
            },
            "/feed.json",
            also=("/feed.xml",),
        ),
        _site(
            "typepad",
            {
                "/": Route(page("typepad", link("/atom.xml", "atom") + link("/rss.xml"))),
                "/atom.xml": Route(atom("typepad"), ATOM),
                "/rss.xml": Route(rss2("typepad"), RSS),
            },
            "/atom.xml",
            also=("/rss.xml",),
        ),
        *(
            _site(
                name,
                {"/": Route(page(name, generator=generator)), path: Route(rss2(name), RSS)},
                path,
                notes="needs guessing",
            )
            for name, generator, path in (
                ("guess-wordpress", "WordPress 6.5", "/feed/"),
                ("guess-hugo", "Hugo 0.125.0", "/index.xml"),
                ("guess-plain", "", "/rss.xml"),
            )
        ),
        _site(
            "anchor-only",
            {
                "/": Route(
                    page("anchor-only", body="<footer><a href='/posts.rss'>RSS</a></footer>")
                ),
                "/posts.rss": Route(rss2("anchor-only"), RSS),
            },
            "/posts.rss",
            notes="feed only in an <a>",
        ),
        _site(
            "redirects",
            {
                "/": Route(status=301, location="/home/"),
                "/home/": Route(page("redirects", link("/home/feed/"))),
                "/home/feed/": Route(status=302, location="/home/feed/rss2/"),
                "/home/feed/rss2/": Route(rss2("redirects"), RSS),
            },
            "/home/feed/rss2/",
            also=("/home/feed/",),
        ),
        _site(
            "gzip",
            {
                "/": Route(page("gzip", link("/feed/"), filler=200), gzip=True),
                "/feed/": Route(rss2("gzip", 30), RSS, gzip=True),
            },
            "/feed/",
        ),
        _blog("big-home", "/feed/", rss2("big-home"), filler=95_000, notes="5 MB homepage"),
        # Just under the client's 2 MiB default cap.
        _blog("big-feed", "/feed/", rss2("big-feed", 1_000, body_words=38), notes="2 MB feed"),
        _blog("oldest-first", "/feed/", rss2("oldest-first", 40, oldest_first=True)),
        _blog("many-posts", "/feed/", rss2("many-posts", 50), filler=400),
        _blog("latin1", "/feed/", rss2("latin1").replace(b"UTF-8", b"ISO-8859-1")),
        _site(
            "feed-is-home", {"/feed/": Route(rss2("feed-is-home"), RSS)}, "/feed/", start="/feed/"
        ),
        _site(
            "category-page",
            {
                "/category/food/": Route(
                    page(
                        "category-page", link("/feed/") + link("/category/food/feed/", title="Food")
                    )
                ),
                "/feed/": Route(rss2("category-page"), RSS),
                "/category/food/feed/": Route(rss2("food"), RSS),
            },
            "/feed/",
            start="/category/food/",
        ),
        *issue_12_sites(),
    ]


# The server


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self.paths: list[str] = []


_LATENCY = [0.0]


def _handler(site: Site, counters: _Counters) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # As real servers do: without it, headers and body in separate writes meet the
        # client's delayed ACK and every response stalls for 40 ms.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            if self.path.startswith("/__"):
                return self._control()
            with counters.lock:
                counters.requests += 1
                counters.paths.append(self.path)
            time.sleep(_LATENCY[0])
            route = site.routes.get(self.path) or Route(b"<html>not found</html>", status=404)
            body = gzip.compress(route.body, 5) if route.gzip else route.body
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if route.status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(body)))
            if route.status == 200:
                self.send_header("ETag", etag)
            if route.location:
                self.send_header("Location", route.location)
            if route.gzip:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            try:
                for start in range(0, len(body), WRITE_CHUNK):
                    chunk = body[start : start + WRITE_CHUNK]
                    self.wfile.write(chunk)
                    with counters.lock:
                        counters.bytes += len(chunk)
            except OSError:
                self.close_connection = True  # the client stopped reading, as it may
            return None

        def _control(self) -> None:
            if self.path.startswith("/__latency__/"):
                _LATENCY[0] = int(self.path.rsplit("/", 1)[1]) / 1000
            with counters.lock:
                stats = {
                    "requests": counters.requests,
                    "bytes": counters.bytes,
                    "paths": counters.paths,
                }
                if self.path == "/__reset__":
                    counters.requests, counters.bytes, counters.paths = 0, 0, []
            data = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up mid-body on purpose (they stop reading early)


def _serve(connection: Any) -> None:
    ports = []
    for site in sites():
        server = _QuietServer(("127.0.0.1", 0), _handler(site, _Counters()))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ports.append(server.server_address[1])
    connection.send(ports)
    connection.recv()  # block until the parent says stop (or dies)


def start() -> tuple[list[Site], Any]:
    """Start the corpus in a child process; returns the sites (ports filled in) and the
    process (terminate it when done)."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    corpus = sites()
    for site, port in zip(corpus, parent.recv(), strict=True):
        site.port = port
    return corpus, process


def base(site: Site) -> str:
    return f"http://127.0.0.1:{site.port}"


def control(site: Site, path: str) -> dict[str, Any]:
    with urlopen(base(site) + path, timeout=5) as response:  # loopback control path only
        result: dict[str, Any] = json.loads(response.read())
        return result


def set_latency(corpus: list[Site], ms: int) -> None:
    control(corpus[0], f"/__latency__/{ms}")  # one process-wide setting
