"""Blogger exports (Atom): the comments read out, streamed (see
:mod:`~commentluv.backfill.xmlstream`: bounded memory, no DOCTYPE, no entities, no network).

Two shapes, both read:

- the classic export (Settings › Back up content, ``blog-MM-DD-YYYY.xml``): posts, pages,
  comments, settings and the template are all ``<entry>`` elements told apart by their kind,
  ``<category scheme="http://schemas.google.com/g/2005#kind"
  term="http://schemas.google.com/blogger/2008/kind#comment"/>``; a comment points at its post
  with ``<thr:in-reply-to ref="..."/>`` (the post's entry id), and one its author removed carries
  ``<gd:extendedProperty name="blogger.contentRemoved" value="true"/>``;
- Google Takeout's ``feed.atom``: ``<blogger:type>COMMENT</blogger:type>``,
  ``<blogger:parent>`` (the post) and ``<blogger:status>`` (``LIVE`` once published) in the
  ``http://schemas.google.com/blogger/2018`` namespace.

A comment's ``<author>`` has a ``<name>`` and, unless anonymous, a ``<uri>``: the
commenter's blog, or a Blogger profile (looked up all the same: profiles link their blogs).
Removed and trashed comments are left out; spam and pending ones are read as unapproved.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

from .models import Comment
from .readers import comment_from_fields
from .xmlstream import let_go, safe_iterparse

__all__ = ["read_blogger"]

logger = logging.getLogger("commentluv")

_ATOM = "{http://www.w3.org/2005/Atom}"
_TAKEOUT = "{http://schemas.google.com/blogger/2018}"
_GDATA_PROPERTY = "{http://schemas.google.com/g/2005}extendedProperty"
_KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
_COMMENT_KIND = "http://schemas.google.com/blogger/2008/kind#comment"
_IN_REPLY_TO = "{http://purl.org/syndication/thread/1.0}in-reply-to"
_PUBLISHED = "LIVE"
# The statuses of a comment that is gone: the Blogger API calls a comment whose content was
# removed "emptied"; the others are what trashed and deleted items are called.
_REMOVED = frozenset({"EMPTIED", "DELETED", "SOFT_TRASHED", "TRASHED"})


def read_blogger(path: str | os.PathLike[str]) -> Iterator[Comment]:
    """The comments of a Blogger export (classic or Takeout), in document order. Raises
    :class:`~commentluv.backfill.InputError` for a malformed or refused document."""
    number = removed = 0
    # Only the entries come up to Python; each is freed once read.
    for _, entry in safe_iterparse(path, ("end",), tag=f"{_ATOM}entry"):
        fields = _comment_fields(entry)
        let_go(entry)
        if fields is None:
            continue
        number += 1
        if fields.pop("removed"):
            removed += 1
            continue
        yield comment_from_fields(fields, default_id=str(number))
    if removed:
        logger.info("%s: %d removed comments left out", os.fspath(path), removed)


def _comment_fields(entry: Any) -> dict[str, Any] | None:
    """The reader's fields of a comment entry, with ``removed``; None for any other entry."""
    status = entry.findtext(f"{_TAKEOUT}status")
    kind = entry.findtext(f"{_TAKEOUT}type")
    if kind is not None:  # Takeout
        if kind.strip().upper() != "COMMENT":
            return None
        status = (status or _PUBLISHED).strip().upper()
        removed = status in _REMOVED
        on_post = entry.findtext(f"{_TAKEOUT}parent")
    else:  # classic
        if not _is_classic_comment(entry):
            return None
        reply_to = entry.find(_IN_REPLY_TO)
        on_post = None if reply_to is None else reply_to.get("ref")
        removed = any(
            prop.get("name") == "blogger.contentRemoved" and prop.get("value") == "true"
            for prop in entry.iterchildren(_GDATA_PROPERTY)
        )
    author = entry.find(f"{_ATOM}author")
    return {
        "id": entry.findtext(f"{_ATOM}id"),
        "author": None if author is None else author.findtext(f"{_ATOM}name"),
        "url": None if author is None else author.findtext(f"{_ATOM}uri"),
        "date": entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated"),
        "approved": status in (None, _PUBLISHED),
        "on_post": on_post,
        "removed": removed,
    }


def _is_classic_comment(entry: Any) -> bool:
    return any(
        category.get("scheme") == _KIND_SCHEME and category.get("term") == _COMMENT_KIND
        for category in entry.iterchildren(f"{_ATOM}category")
    )
