"""Which backlink a comment gets (pure): before any lookup, and from its site's posts."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .._shared.urls import normalize_site_url
from ..errors import CommentLuvError, InvalidURL
from ..formatting import format_backlink
from ..models import LookupResult, Post, latest_as_of
from .models import BackfillOptions, BackfillResult, Chosen, Comment, Outcome

__all__ = ["choose_post", "result_for", "triage"]

_NOT_COMMENTS = frozenset({"pingback", "trackback"})
# Commenters come back: normalise each URL spelling once.
_site_of = functools.lru_cache(maxsize=4096)(normalize_site_url)


def triage(
    index: int, comment: Comment, options: BackfillOptions
) -> tuple[str | None, BackfillResult | None]:
    """(the site to look ``comment`` up under, None) or (None, its result already): for a
    comment that is unapproved, a pingback, carries the old plugin's backlink, has no URL or
    an unusable one."""
    site: str | None = None
    refused: InvalidURL | None = None
    if comment.url:
        try:
            site = _site_of(comment.url)
        except InvalidURL as exc:
            refused = exc
    if not comment.approved and not options.include_unapproved:
        return None, _result(index, comment, site, "unapproved")
    if comment.comment_type in _NOT_COMMENTS:
        return None, _result(index, comment, site, "not_a_comment")
    if comment.historical is not None:
        return None, _with_post(index, comment, site, comment.historical, "historical", options)
    if not comment.url:
        return None, _result(index, comment, None, "no_url")
    if refused is not None:
        return None, _failed(index, comment, None, refused, cached=False)
    return site, None


def result_for(
    index: int, comment: Comment, site: str, lookup: LookupResult, options: BackfillOptions
) -> BackfillResult:
    """The result of ``comment`` once its site was looked up."""
    if lookup.error is not None:
        return _failed(index, comment, site, lookup.error, cached=lookup.cached)
    post, chosen = choose_post(lookup.posts, comment.date, options)
    if post is None or chosen is None:
        return _result(index, comment, site, "no_post_at_date", cached=lookup.cached)
    return _with_post(index, comment, site, post, chosen, options, cached=lookup.cached)


def choose_post(
    posts: Sequence[Post], date: datetime | None, options: BackfillOptions
) -> tuple[Post | None, Chosen | None]:
    """The latest post; with ``as_of="comment-date"`` the newest published at or before
    ``date`` (undated posts never qualify, nor does any post for an undated comment), else
    the latest only with ``fallback="latest"``."""
    if not posts:
        return None, None
    if options.as_of == "now":
        return posts[0], "latest"
    as_of = latest_as_of(posts, date)
    if as_of is not None:
        return as_of, "as_of"
    if options.fallback == "latest":
        return posts[0], "latest"
    return None, None


def _with_post(
    index: int,
    comment: Comment,
    site: str | None,
    post: Post,
    chosen: Chosen,
    options: BackfillOptions,
    *,
    cached: bool = False,
) -> BackfillResult:
    return _result(
        index,
        comment,
        site,
        "ok",
        chosen=chosen,
        post=post,
        backlink=format_backlink(post, comment.author, style=options.style, fmt="text"),
        backlink_html=format_backlink(post, comment.author, style=options.style, fmt="html"),
        cached=cached,
    )


def _failed(
    index: int, comment: Comment, site: str | None, error: CommentLuvError, *, cached: bool
) -> BackfillResult:
    return _result(
        index, comment, site, "error", error=error.kind, message=error.message, cached=cached
    )


def _result(
    index: int, comment: Comment, site: str | None, outcome: Outcome, **fields: Any
) -> BackfillResult:
    return BackfillResult(
        index=index,
        comment_id=comment.id,
        author=comment.author,
        url=comment.url,
        site=site,
        outcome=outcome,
        on_post=comment.on_post,
        **fields,
    )
