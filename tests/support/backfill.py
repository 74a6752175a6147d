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
