"""Builders for the backfill tests: WXR exports, commenters' blogs (on FakeWeb or a
LoopbackSite) and their feeds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape

from commentluv.backfill.phpserial import dumps


def when(text: str) -> datetime:
    """'2026-11-10' or '2026-11-10 18:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def rss(posts: Sequence[tuple[str, str, str]], base: str) -> str:
    """An RSS feed of (title, path, date) posts, newest first as given."""
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{base}{path}</link>"
        f"<pubDate>{format_datetime(when(date))}</pubDate></item>"
        for title, path, date in posts
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>{items}</channel></rss>'
    )


def home(feed_path: str) -> str:
    return f'<html><head><link rel="alternate" type="application/rss+xml" href="{feed_path}"></head></html>'


POSTS = (
    ("Third post", "/3/", "2026-11-20"),
    ("Second post", "/2/", "2026-11-10"),
    ("First post", "/1/", "2026-11-01"),
)


def fake_blog(web, base: str, posts: Sequence[tuple[str, str, str]] = POSTS) -> None:
    """A blog at ``base`` (no trailing slash) on a FakeWeb."""
    web.get(f"{base}/", home("/feed/"))
    web.get(f"{base}/feed/", rss(posts, base), content_type="application/rss+xml")


def loopback_blog(
    site, prefix: str = "", posts: Sequence[tuple[str, str, str]] = POSTS, **route
) -> str:
    """A blog under ``prefix`` on a LoopbackSite; returns its URL. ``route`` options (a
    handler, say) apply to its home page."""
    site.add(f"{prefix}/", home(f"{prefix}/feed/"), **route)
    site.add(
        f"{prefix}/feed/",
        rss(posts, site.url + prefix),
        headers={"Content-Type": "application/rss+xml"},
    )
    return f"{site.url}{prefix}/"


def cl_data(title: str, url: str, **extra: object) -> str:
    return dumps({"cl_post_title": title, "cl_post_url": url, **extra})


def wxr_comment(
    comment_id: str,
    author: str,
    url: str,
    date: str = "2026-11-15 12:00:00",
    *,
    approved: str = "1",
    comment_type: str = "",
    meta: dict[str, str] | None = None,
) -> str:
    metas = "".join(
        f"<wp:commentmeta><wp:meta_key>{key}</wp:meta_key>"
        f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:commentmeta>"
        for key, value in (meta or {}).items()
    )
    return (
        f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
        f"<wp:comment_author_url>{escape(url)}</wp:comment_author_url>"
        f"<wp:comment_date>{date}</wp:comment_date><wp:comment_date_gmt>{date}</wp:comment_date_gmt>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{comment_type}</wp:comment_type>{metas}</wp:comment>"
    )


def wxr(*items: Sequence[str], version: str = "1.2") -> str:
    """A WXR export with one <item> per sequence of comment elements."""
    body = "".join(
        f"<item><title>Post {n}</title><content:encoded><![CDATA[<p>Post {n} & co</p>]]>"
        f"</content:encoded><wp:post_id>{n}</wp:post_id>{''.join(comments)}</item>"
        for n, comments in enumerate(items, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f' xmlns:wp="http://wordpress.org/export/{version}/">'
        f"<channel><title>Old blog</title><wp:wxr_version>{version}</wp:wxr_version>"
        f"{body}</channel></rss>\n"
    )


def write_big_wxr(path, *, items: int, comments_per_item: int, sites: int, site_url: str) -> int:
    """A large export written piece by piece: each item has a 2 kB post, each comment points
    at one of ``sites`` blogs under ``site_url`` and every tenth carries cl_data. Returns
    the number of comments."""
    body = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 35 + "</p>"
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        head, tail = wxr([]).split("</channel>")
        out.write(head)
        for n in range(items):
            out.write(
                f"<item><title>Post {n}</title><content:encoded><![CDATA[{body}]]>"
                f"</content:encoded><wp:post_id>{n}</wp:post_id>"
            )
            for _ in range(comments_per_item):
                count += 1
                meta = {"cl_data": cl_data(f"Old {count}", f"http://old.example/{count}")}
                out.write(
                    wxr_comment(
                        str(count),
                        f"Commenter {count}",
                        f"{site_url}/s{count % sites}/",
                        meta=meta if count % 10 == 0 else None,
                    )
                )
            out.write("</item>")
        out.write("</channel>" + tail)
    return count


# Blogger (classic Atom and Takeout) and Movable Type exports

_BLOGGER_KIND = (
    "<category scheme='http://schemas.google.com/g/2005#kind'"
    " term='http://schemas.google.com/blogger/2008/kind#{kind}'/>"
)


def blogger_entry(
    number: int,
    kind: str,
    author: str,
    uri: str = "",
    published: str = "2026-11-15T12:00:00Z",
    *,
    takeout: bool = False,
    body: str = "",
    status: str = "LIVE",
) -> str:
    """One entry of a Blogger export: ``kind`` is post or comment (a comment's post is
    number 1)."""
    who = f"<author><name>{escape(author)}</name>"
    who += f"<uri>{escape(uri)}</uri></author>" if uri else "</author>"
    common = (
        f"<id>tag:blogger.com,1999:blog-1.post-{number}</id>{who}<published>{published}"
        f"</published><title>T{number}</title><content type='html'>{escape(body)}</content>"
    )
    if takeout:
        parent = "<blogger:parent>tag:blogger.com,1999:blog-1.post-1</blogger:parent>"
        return (
            f"<entry>{parent if kind == 'comment' else ''}<blogger:type>{kind.upper()}"
            f"</blogger:type><blogger:status>{status}</blogger:status>{common}</entry>"
        )
    reply = "<thr:in-reply-to ref='tag:blogger.com,1999:blog-1.post-1' type='text/html'/>"
    return (
        f"<entry>{_BLOGGER_KIND.format(kind=kind)}{common}"
        f"{reply if kind == 'comment' else ''}</entry>"
    )


def blogger_export(entries: Sequence[str] = (), *, takeout: bool = False) -> str:
    namespaces = (
        "xmlns:blogger='http://schemas.google.com/blogger/2018'"
        if takeout
        else "xmlns:thr='http://purl.org/syndication/thread/1.0'"
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f"<feed xmlns='http://www.w3.org/2005/Atom' {namespaces}><title>Old blog</title>"
        f"{''.join(entries)}</feed>\n"
    )


def mt_comment(author: str, url: str, date: str = "11/15/2026 12:00:00 PM") -> str:
    """A Movable Type COMMENT section, separator included."""
    return (
        f"COMMENT:\nAUTHOR: {author}\nEMAIL: x@example.com\nIP: 192.0.2.1\nURL: {url}\n"
        f"DATE: {date}\nThanks!\n-----\n"
    )


def mt_entry(title: str, comments: Sequence[str], body: str = "<p>Hello</p>") -> str:
    """A Movable Type entry with its comment sections, entry separator included."""
    return (
        f"AUTHOR: Owner\nTITLE: {title}\nSTATUS: Publish\nDATE: 11/01/2026 09:00:00 AM\n"
        f"-----\nBODY:\n{body}\n-----\n{''.join(comments)}--------\n"
    )


def write_big_export(path, shape: str, *, posts: int, per_post: int, sites: int, site_url: str):
    """A large Blogger (``classic``, ``takeout``) or Movable Type (``mt``) export written
    piece by piece: each post has a 2 kB text, each comment points at one of ``sites`` blogs
    under ``site_url``. Returns the number of comments."""
    body = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 35 + "</p>"
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        if shape != "mt":
            head, tail = blogger_export(takeout=shape == "takeout").split("</feed>")
            out.write(head)
        for n in range(posts):
            urls = [f"{site_url}/s{(count + k + 1) % sites}/" for k in range(per_post)]
            count += per_post
            if shape == "mt":
                out.write(mt_entry(f"Post {n}", [mt_comment("C", url) for url in urls], body))
                continue
            takeout = shape == "takeout"
            out.write(blogger_entry(n, "post", "Owner", body=body, takeout=takeout))
            for k, url in enumerate(urls):
                out.write(blogger_entry(n * 100 + k, "comment", "C", url, takeout=takeout))
        if shape != "mt":
            out.write("</feed>" + tail)
    return count
