"""WordPress export files (WXR): the comments read out, and a copy written with each
comment's backlink added as ``commentluv`` comment meta.

Both stream (:mod:`~commentluv.backfill.xmlstream`: a 500 MB export takes the memory of its
largest post, not of the file; DOCTYPEs and entities refused). Comments are the
``<wp:comment>`` elements of each ``<item>``, for any WXR version namespace
(``http://wordpress.org/export/1.x/``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

# lxml-stubs may or may not be installed; the parser is used through Any either way.
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from .models import BackfillResult, Comment
from .phpserial import dumps
from .readers import InputError, comment_from_fields
from .writers import atomic_file
from .xmlstream import let_go, safe_iterparse

__all__ = ["META_KEY", "read_wxr", "write_wxr"]

META_KEY = "commentluv"
"""The comment meta key :func:`write_wxr` adds; its value is a PHP-serialized array (what
WordPress's importer unserializes) of the result's record fields."""

_WP_PREFIX = "{http://wordpress.org/export/"
# WXR comment fields → the reader's field names.
_FIELDS = {
    "comment_id": "id",
    "comment_author": "author",
    "comment_author_url": "url",
    "comment_date_gmt": "date",
    "comment_approved": "approved",
    "comment_type": "type",
}
_META_FIELDS = ("outcome", "chosen", "title", "link", "published", "backlink_html", "error")
_XMLNS_RE = re.compile(rb' xmlns(?::[^=\s]+)?="[^"]*"')


def read_wxr(path: str | os.PathLike[str]) -> Iterator[Comment]:
    """The comments of a WXR file, in document order. Raises :class:`InputError` for a
    malformed or refused document (at the point where it is found)."""
    number = 0
    post_id: str | None = None  # the <wp:post_id> of the item being read
    # Only the elements asked for come up to Python (lxml filters the rest in C).
    tags = ("{*}comment", "{*}post_id", "item")
    for _, element in safe_iterparse(path, ("end",), tag=tags):
        name = _wp_name(element.tag)
        if element.tag == "item":
            post_id = None
            let_go(element)
        elif name == "post_id" and element.getparent().tag == "item":
            post_id = element.text
        elif name == "comment":
            number += 1
            fields = {**_comment_fields(element), "on_post": post_id}
            yield comment_from_fields(fields, default_id=str(number))
            let_go(element)


def write_wxr(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    results: Iterable[BackfillResult],
) -> int:
    """Write a copy of the WXR file ``source`` to ``target`` with a ``commentluv`` meta in
    each comment (replacing one already there); returns how many comments got one.

    ``results`` are the backfill's results for ``source`` in input order. ``target`` is
    written to a temporary file and renamed into place, and may not be ``source``.
    """
    if os.path.exists(target) and os.path.samefile(source, target):
        raise InputError("the WXR copy may not overwrite its source", path=target)
    remaining = iter(results)
    written = 0
    with atomic_file(target, binary=True) as out:
        out.write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
        root_declarations: set[bytes] = set()
        for event, element, depth in _events(source):
            # rss, channel and each item are written as they open and close; everything
            # else inside them as a whole element once it has ended.
            container = depth <= 2 or (depth == 3 and element.tag == "item")
            if event == "start":
                if container:
                    tag = _start_tag(element)
                    if depth == 1:
                        root_declarations = set(_XMLNS_RE.findall(tag))
                    else:
                        tag = _drop(tag, root_declarations)
                    out.write(tag + b"\n")
            elif container:
                out.write(_end_tag(element) + b"\n")
            elif depth == 3 or (depth == 4 and element.getparent().tag == "item"):
                if _wp_name(element.tag) == "comment":
                    _add_meta(element, _next_result(remaining, written, source))
                    written += 1
                whole = etree.tostring(element, encoding="utf-8", with_tail=False)
                out.write(_drop(whole, root_declarations) + b"\n")
                let_go(element)
    return written


def _events(path: str | os.PathLike[str]) -> Iterator[tuple[str, Any, int]]:
    """(event, element, depth) of every element; the root has depth 1."""
    depth = 0
    for event, element in safe_iterparse(path, ("start", "end")):
        if event == "start":
            depth += 1
            yield event, element, depth
        else:
            yield event, element, depth
            depth -= 1


def _wp_name(tag: Any) -> str | None:
    """The local name of an element in a WXR namespace, else None."""
    if isinstance(tag, str) and tag.startswith(_WP_PREFIX):
        return tag.rpartition("}")[2]
    return None


def _comment_fields(comment: Any) -> dict[str, str | None]:
    fields: dict[str, str | None] = {}
    for child in comment:
        name = _wp_name(child.tag)
        if name in _FIELDS:
            fields[_FIELDS[name]] = child.text
        elif name == "comment_date":
            fields["local_date"] = child.text
        elif name == "commentmeta" and _meta_key(child) == "cl_data":
            fields["cl_data"] = _meta_value(child)
    if not (fields.get("date") or "").strip("0-: "):
        # No GMT date: the blog's local time is within hours of it.
        fields["date"] = fields.get("local_date")
    return fields


def _meta_key(meta: Any) -> str | None:
    return next((child.text for child in meta if _wp_name(child.tag) == "meta_key"), None)


def _meta_value(meta: Any) -> str | None:
    return next((child.text for child in meta if _wp_name(child.tag) == "meta_value"), None)


def _next_result(
    remaining: Iterator[BackfillResult], index: int, source: str | os.PathLike[str]
) -> BackfillResult:
    result = next(remaining, None)
    if result is None or result.index != index:
        raise InputError("the results do not belong to this file (it changed?)", path=source)
    return result


def _add_meta(comment: Any, result: BackfillResult) -> None:
    namespace = comment.tag[1:].partition("}")[0]
    for meta in comment:
        if _wp_name(meta.tag) == "commentmeta" and _meta_key(meta) == META_KEY:
            comment.remove(meta)
    record = result.to_record()
    value = dumps({name: record[name] for name in _META_FIELDS})
    meta = etree.SubElement(comment, f"{{{namespace}}}commentmeta")
    etree.SubElement(meta, f"{{{namespace}}}meta_key").text = META_KEY
    etree.SubElement(meta, f"{{{namespace}}}meta_value").text = value


def _start_tag(element: Any) -> bytes:
    empty = etree.Element(element.tag, dict(element.attrib), nsmap=element.nsmap)
    markup: bytes = etree.tostring(empty, encoding="utf-8")
    return markup[: -len(b"/>")] + b">"


def _end_tag(element: Any) -> bytes:
    local = etree.QName(element).localname
    return f"</{element.prefix}:{local}>".encode() if element.prefix else f"</{local}>".encode()


def _drop(markup: bytes, declarations: set[bytes]) -> bytes:
    """Remove from ``markup``'s first tag the namespace declarations the root already made
    (lxml repeats them on every element it serializes alone)."""
    end = markup.index(b">")
    tag = _XMLNS_RE.sub(lambda m: b"" if m.group() in declarations else m.group(), markup[:end])
    return tag + markup[end:]
