"""commentluv for Pelican: backlinks for comments kept as files, looked up at build time.

    # pelicanconf.py
    PLUGINS = ["commentluv.integrations.pelican"]

Comments are read the way pelican-comment-system stores them: ``<PATH>/comments/<article
slug>/<id>.md`` (the folder is ``PELICAN_COMMENT_SYSTEM_DIR``, default ``comments``, kept out
of the articles), Markdown with ``author``, ``website`` and ``date`` metadata. Each
commenter's site is looked up once per build through an SQLite cache (so a rebuild within an
hour makes no request), concurrently and bounded. Templates get, on each article:

- ``article.commentluv_comments``: the comments, oldest first, each with ``id``, ``author``,
  ``website``, ``date``, ``content`` (HTML) and ``backlink`` (None, or ``.text``, ``.html``,
  ``.post``, ``.how``);
- ``article.commentluv_backlinks``: comment id → backlink, for themes that list
  pelican-comment-system's own comments (``article.commentluv_backlinks.get(comment.slug)``).

An old comment gets the post that was newest at its date when its author's feed still reaches
back that far (``how == "dated"``), else their latest post. Settings: ``COMMENTLUV_CACHE``
(default ``<CACHE_PATH>/commentluv.sqlite3``), ``COMMENTLUV_STYLE`` (``card``),
``COMMENTLUV_TIMEOUT`` (10 s per site), ``COMMENTLUV_MAX_WORKERS`` (8),
``COMMENTLUV_DOFOLLOW`` (False), ``COMMENTLUV_CLIENT_OPTIONS`` (more ``CommentLuv`` keywords).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pelican.plugins import signals

from ...cache.sqlite import SQLiteCache
from ...client import CommentLuv
from ...formatting import format_backlink, validate_style
from ...models import LookupResult, Post, latest_as_of

__all__ = ["Backlink", "FileComment", "add_backlinks", "register"]

logger = logging.getLogger("commentluv")


@dataclass(frozen=True)
class Backlink:
    """A comment's backlink: the line as ``text`` and as escaped ``html``, the ``post``, and
    ``how`` it was chosen (``"dated"``: newest at the comment's date; ``"latest"``)."""

    text: str
    html: Markup
    post: Post
    how: Literal["dated", "latest"]


@dataclass(frozen=True)
class FileComment:
    """One comment file, read."""

    id: str
    author: str
    website: str
    date: datetime | None
    content: str
    backlink: Backlink | None = None


def register() -> None:
    signals.initialized.connect(keep_comments_out_of_articles)
    signals.article_generator_finalized.connect(add_backlinks)


def keep_comments_out_of_articles(pelican: Any) -> None:
    folder = _comments_folder_name(pelican.settings)
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES"):
        excluded = pelican.settings.setdefault(key, [])
        if folder not in excluded:
            excluded.append(folder)


def add_backlinks(generator: Any) -> None:
    """``article_generator_finalized``: read every article's comments, look their sites up
    together, and attach the comments and backlinks to the articles."""
    settings = generator.settings
    validate_style(settings.get("COMMENTLUV_STYLE", "card"), "html")
    root = Path(settings["PATH"]) / _comments_folder_name(settings)
    comments = {
        article: _read_comments(generator, root / article.slug, settings)
        for article in [*generator.articles, *getattr(generator, "drafts", [])]
    }
    sites = {c.website for found in comments.values() for c in found if c.website}
    results = _look_up(sites, settings)
    style = settings.get("COMMENTLUV_STYLE", "card")
    dofollow = bool(settings.get("COMMENTLUV_DOFOLLOW", False))
    for article, found in comments.items():
        linked = [
            _with_backlink(comment, results.get(comment.website), style, dofollow)
            for comment in found
        ]
        article.commentluv_comments = linked
        article.commentluv_backlinks = {c.id: c.backlink for c in linked if c.backlink}


def _comments_folder_name(settings: Mapping[str, Any]) -> str:
    return str(settings.get("PELICAN_COMMENT_SYSTEM_DIR", "comments"))


def _read_comments(generator: Any, folder: Path, settings: Mapping[str, Any]) -> list[FileComment]:
    if not folder.is_dir():
        return []
    readers = generator.readers.readers
    zone = settings.get("TIMEZONE")
    found = []
    for path in sorted(folder.iterdir()):
        reader = readers.get(path.suffix.lstrip("."))
        if reader is None or not path.is_file():
            continue
        try:
            content, metadata = reader.read(str(path))
        except Exception:
            logger.exception("cannot read the comment %s", path)
            continue
        date = metadata.get("date")
        if isinstance(date, datetime) and date.tzinfo is None and zone:
            date = date.replace(tzinfo=ZoneInfo(zone))
        found.append(
            FileComment(
                id=path.stem,
                author=str(metadata.get("author", "") or ""),
                website=str(metadata.get("website", "") or "").strip(),
                date=date if isinstance(date, datetime) else None,
                content=content or "",
            )
        )
    return sorted(found, key=lambda c: (c.date is None, c.date and c.date.timestamp(), c.id))


def _look_up(sites: Iterable[str], settings: Mapping[str, Any]) -> dict[str, LookupResult]:
    """Each site's stored posts (cached, else fetched), at most ``COMMENTLUV_MAX_WORKERS``
    at a time."""
    unique = sorted(set(sites))
    if not unique:
        return {}
    cache_path = settings.get("COMMENTLUV_CACHE") or os.path.join(
        settings["CACHE_PATH"], "commentluv.sqlite3"
    )
    timeout = float(settings.get("COMMENTLUV_TIMEOUT", 10.0))
    workers = max(1, int(settings.get("COMMENTLUV_MAX_WORKERS", 8)))
    options = dict(settings.get("COMMENTLUV_CLIENT_OPTIONS", {}))
    with (
        CommentLuv(cache=SQLiteCache(cache_path), **options) as luv,
        ThreadPoolExecutor(workers, thread_name_prefix="commentluv-pelican") as pool,
    ):
        limit = luv.limits.max_stored_posts
        results = list(pool.map(lambda url: luv.lookup(url, limit, timeout=timeout), unique))
    for url, result in zip(unique, results, strict=True):
        if result.error is not None:
            logger.info("no backlink for %.200r: %s", url, result.error)
    return dict(zip(unique, results, strict=True))


def _with_backlink(
    comment: FileComment, result: LookupResult | None, style: str, dofollow: bool
) -> FileComment:
    if result is None or not result.posts:
        return comment
    dated = latest_as_of(result.posts, comment.date)
    post = dated or result.posts[0]
    line = format_backlink(post, comment.author, style=style, fmt="html", dofollow=dofollow)
    backlink = Backlink(
        text=format_backlink(post, comment.author, style=style),
        html=Markup(line),  # noqa: S704 (format_backlink escapes every piece)
        post=post,
        how="dated" if dated is not None else "latest",
    )
    return replace(comment, backlink=backlink)
