"""The streaming reader (pure): the newest posts of an RSS 2.0, RSS 1.0 or Atom feed, read
incrementally.

:class:`FeedReader` is fed the body chunk by chunk (as it arrives) with lxml's pull parser and
says when it has seen enough (``done``): a feed whose first items are dated newest first
needs only those items, so a 2 MB full-content feed is answered from its first few kilobytes.

It only answers what it can answer exactly as :func:`commentluv._feeds.parse_posts` does
through feedparser. Anything else makes it give up (``failed``) and the caller uses
feedparser on the whole body: other encodings, a DOCTYPE or anything but comments and
processing instructions before the root element, malformed XML, undefined entities,
``xml:base``, titles holding ``<``, an ``&`` that could start a reference, or nothing
(feedparser's guesses about markup and its excerpt fallback stay feedparser's), duplicate,
nested or case-variant fields, RSS ``<guid>`` links, items without a title or link. Dates
in the usual RFC 822 and W3C-DTF spellings are read here, others by feedparser's parser
(imported from :mod:`.feedparser` only when such a date turns up).
Security: the parser resolves no entities, loads no DTD, touches no network and refuses
huge trees; the prolog (where a DTD would be) is never given to it.

Early stopping (only with a ``limit``) stops once the first ``max(limit, MIN_WINDOW)`` posts
are all dated and in non-increasing date order, taking such a feed to stay newest first. A
feed that opens oldest first, undated or future-dated is read to the end (within the HTTP
layer's byte cap), so its newest post is still found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any
from urllib.parse import urljoin

# lxml-stubs may or may not be installed; the parser is used through Any either way.
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from ..errors import FeedError
from ..models import Post
from .dates import parse_other_spellings
from .decode import feed_first_label, http_charset
from .post import MAX_ITEMS, aware, entry_post, newest_first, parse_rfc822, parse_rfc3339
from .scrub import prolog_declares, root_start

__all__ = ["MIN_WINDOW", "FeedReader", "Unsupported"]

MIN_WINDOW = 10
"""Dated, newest-first items a feed must open with before the reader stops early."""
_SLICE = 16 * 1024  # FeedReader.read's slices: commentluv.http's CHUNK_SIZE

_ATOM = "http://www.w3.org/2005/Atom"
_RSS1 = "http://purl.org/rss/1.0/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_XML_BASE_BYTES = b"xml:base"
_EDGE = len(_XML_BASE_BYTES) - 1  # bytes kept between chunks: all of the word but one
# decode_feed decodes these as UTF-8 too (an ASCII label on a non-ASCII body fails over to it).
_UTF8_LABELS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

_ATOM_ENTRY = f"{{{_ATOM}}}entry"
# Item element per root element: RSS 0.9x/2.0, RSS 1.0 (RDF), Atom 1.0.
_ITEM_TAGS = {"rss": "item", f"{{{_RDF}}}RDF": f"{{{_RSS1}}}item", f"{{{_ATOM}}}feed": _ATOM_ENTRY}
# Date elements feedparser stores as "published" or "updated" (published wins in .feedparser).
_PUBLISHED = frozenset({"pubDate", f"{{{_ATOM}}}published"})
_UPDATED = frozenset({f"{{{_ATOM}}}updated", f"{{{_DC}}}date", f"{{{_DCTERMS}}}modified"})
# Lower-cased local names feedparser maps onto the fields read here: one of these that is not
# the exact element expected (another namespace, other case, nested) means "give up".
_SENSITIVE = frozenset(
    {"title", "link", "guid", "pubdate", "published", "updated", "issued", "modified",
     "created", "date"}
)  # fmt: skip

# Atom title types whose plain text reads the same as feedparser's (any other, such as
# application/octet-stream, is base64 or another encoding feedparser decodes).
_ATOM_TEXT_TYPES = frozenset({"text", "html", "text/plain", "text/html"})
_W3CDTF_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
# "<", or "&" that could start a character or entity reference (html.unescape takes "&amp"
# without its ";"): such text cleans differently as markup and as plain text.
_MAYBE_MARKUP_RE = re.compile(r"<|&[#A-Za-z0-9]")
# feedparser's own clean-up of "http:///x" before joining a link with its base.
_ABSOLUTE_HTTP_RE = re.compile(r"https?://[^/]", re.IGNORECASE)
_URI_FIXER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")


class Unsupported(Exception):
    """The document needs feedparser: the fast path cannot promise the same answer."""


class FeedReader:
    """Incremental reader of one feed body. Feed it chunks; stop when ``done``.

    ``result`` is the posts (newest first, at most ``limit``) once ``done``, or after
    :meth:`close` at the end of the body; it stays None when ``failed`` (use
    :func:`commentluv._feeds.parse_posts` on the whole body then). Also usable directly as the
    ``stop`` callback of :meth:`commentluv.http.Fetcher.get`.
    """

    def __init__(
        self,
        *,
        feed_url: str,
        site_url: str,
        headers: Mapping[str, str] | None = None,
        now: datetime | None = None,
        limit: int | None = None,
    ) -> None:
        self.feed_url = feed_url
        self.site_url = site_url
        self.now = aware(now or datetime.now(timezone.utc))
        self.limit = limit
        self.result: list[Post] | None = None
        self.failed = False
        self.bytes_read = 0
        self._http_charset = http_charset(headers or {})
        self._prolog = b""
        self._edge = b""  # the last bytes fed, for a search across chunk edges
        self._parser: Any = None
        self._item_tag: str | None = None
        self._posts: list[Post] = []
        self._plans: dict[tuple[Any, ...], _ItemPlan] = {}  # by child tags: see _item_fields
        self._in_order = True  # every post so far dated, not in the future, newest first
        self._last_date: datetime | None = None  # the last post's, while in order
        # Posts read before stopping: while they are in order, the window of dated, newest-first
        # items (no early stop without a limit); else all there are (MAX_ITEMS at most).
        window = max(limit, MIN_WINDOW) if limit is not None else MAX_ITEMS
        self._stop_at = min(window, MAX_ITEMS)

    @property
    def done(self) -> bool:
        """True once the answer is known (``result``) or the fast path has given up."""
        return self.result is not None or self.failed

    def __call__(self, url: str, body: bytearray, headers: Mapping[str, str] | None = None) -> bool:
        """The HTTP layer's stop callback: feeds what is new in ``body``; True once the answer
        is known. Giving up is not an answer: the fallback needs the whole body.

        On the first call ``url`` (the final URL, after redirects) becomes ``feed_url``, and
        ``headers``, when given, the response headers whose charset counts.
        """
        if self.failed:
            return False  # and no copy of the rest of the body, chunk after chunk
        if self.bytes_read == 0:
            self.feed_url = url
            if headers is not None:
                self._http_charset = http_charset(headers)
        self.feed(bytes(body[self.bytes_read :]))
        return self.result is not None

    def feed(self, data: bytes) -> None:
        if self.done or not data:
            return
        self.bytes_read += len(data)
        try:
            self._feed(data)
        except Exception as exc:
            self._stop_reading(exc)

    def _feed(self, data: bytes) -> None:
        # xml:base is spelled so wherever it is (the xml prefix is bound once and for all): a
        # search of the bytes, across chunk edges too, finds every one for less than asking
        # each element for it. One in text gives up too, which is safe.
        seam = self._edge + data[: len(_XML_BASE_BYTES)]
        if _XML_BASE_BYTES in seam or _XML_BASE_BYTES in data:
            raise Unsupported("xml:base")
        # The last bytes of all fed so far: a chunk may be shorter than the word.
        self._edge = (self._edge + data[-_EDGE:])[-_EDGE:]
        if self._parser is None:
            data = self._start(data)
            if self._parser is None:
                return
        self._parser.feed(data)
        self._consume()

    def read(self, body: bytes) -> list[Post] | None:
        """A whole body: its posts, or None when feedparser must decide. Fed in slices of
        the HTTP layer's chunk size, so it stops parsing where a streamed read would."""
        for start in range(0, len(body), _SLICE):
            self.feed(body[start : start + _SLICE])
            if self.done:
                return self.result
        return self.close()

    def close(self) -> list[Post] | None:
        """The end of the body: the posts, or None when the fast path cannot answer."""
        if self.done:
            return self.result
        try:
            if self._parser is None:
                raise Unsupported("no root element")
            self._parser.close()
            self._consume()
            if not self._posts:
                raise Unsupported("no usable items: feedparser tells NoPosts from FeedError")
            self._finish()
        except Exception as exc:
            self._stop_reading(exc)
        return self.result

    # Internals

    def _stop_reading(self, exc: Exception) -> None:
        """The handler of every failure while reading (a plain ``except`` in each caller: a
        context manager would cost a generator per chunk). Gives up on what the fast path
        does not read; a failure of its own (a bug) ends the read as a :class:`FeedError`,
        never as an exception that would crash a lookup."""
        self.failed = True
        self._parser = None  # let go of the tree
        if not isinstance(exc, (Unsupported, etree.XMLSyntaxError)):
            reason = type(exc).__name__
            raise FeedError(f"the feed could not be read ({reason})", url=self.feed_url) from exc

    def _start(self, data: bytes) -> bytes:
        """Buffers the prolog until the root element starts; returns the bytes from there."""
        self._prolog += data
        if feed_first_label(self._prolog, self._http_charset) not in _UTF8_LABELS:
            raise Unsupported("not UTF-8")
        body = self._prolog
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]
        # latin-1 keeps byte offsets; the markup searched for is ASCII.
        text = body.decode("latin-1")
        root = root_start(text)
        if root == len(text):
            if len(text) > 64 * 1024:
                raise Unsupported("a prolog this long is not a feed the fast path reads")
            return b""
        if prolog_declares(text[:root]):
            raise Unsupported("a DOCTYPE: entity declarations are the fallback's to scrub")
        self._prolog = b""
        self._parser = etree.XMLPullParser(
            events=("end",),
            tag=list(_ITEM_TAGS.values()),
            encoding="utf-8",
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            remove_blank_text=False,
        )
        return body[root:]

    def _consume(self) -> None:
        # Only the ends of item elements come here (the parser's tag filter, in C).
        for _, element in self._parser.read_events():
            if self._item_tag is None:  # the first item: its tree's root says the kind
                root = element.getroottree().getroot().tag
                self._item_tag = _ITEM_TAGS.get(root)
                if self._item_tag is None:
                    raise Unsupported(f"root element {root!r}")
            if element.tag == self._item_tag:
                self._add(element)
                # Items are done with: drop them so a long feed keeps a small tree.
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
                if self.result is not None:
                    return

    def _add(self, item: Any) -> None:
        parent = item.getparent()
        if parent is None or (self._item_tag == "item" and parent.tag != "channel"):
            raise Unsupported("an item outside the channel")
        atom = self._item_tag == _ATOM_ENTRY
        feed_url = self.feed_url
        title, hrefs, related, entry_id, published, updated = _item_fields(
            item, feed_url, atom, self._plans
        )
        post = entry_post(
            title,
            hrefs,
            _date(published) or _date(updated),
            feed_url=feed_url,
            site_url=self.site_url,
            now=self.now,
            excerpts=None,  # feedparser's excerpt fallback is the fallback's to apply
            atom_id=entry_id,
            related=related,
        )
        if post is None:
            raise Unsupported("a title without words: feedparser's excerpt fallback decides")
        if post.link == feed_url:
            raise Unsupported("a link to the feed itself: the fallback's self-link rule")
        if self._in_order:
            moment = post.published
            if moment is None or (self._last_date is not None and moment > self._last_date):
                self._in_order = False
                self._stop_at = MAX_ITEMS
            self._last_date = moment
        self._posts.append(post)
        if len(self._posts) >= self._stop_at:
            self._finish()

    def _finish(self) -> None:
        # Dated and newest first already: in the order newest_first would put them in.
        posts = self._posts if self._in_order else newest_first(self._posts)
        self.result = posts[: self.limit]
        self._parser = None


def _field_names(namespace: str, *, atom: bool) -> dict[str, str]:
    """Element name → the field it is, for the items of one kind of feed."""
    names = {
        f"{namespace}title": "title",
        **dict.fromkeys(_PUBLISHED, "published"),
        **dict.fromkeys(_UPDATED, "updated"),
    }
    if atom:
        names |= {f"{namespace}link": "atom link", f"{namespace}id": "id"}
    else:
        names |= {f"{namespace}link": "link", "guid": "guid"}
    return names


# Per item element (RSS 0.9x/2.0, RSS 1.0, Atom): its fields by element name.
_FIELDS = {
    "item": _field_names("", atom=False),
    f"{{{_RSS1}}}item": _field_names(f"{{{_RSS1}}}", atom=False),
    _ATOM_ENTRY: _field_names(f"{{{_ATOM}}}", atom=True),
}


@dataclass(frozen=True, slots=True)
class _ItemPlan:
    """Where an item's fields are among its children, for one sequence of child tags: what
    depends only on the tags, worked out once per sequence (the items of a feed nearly
    always share one) by :func:`_item_plan`. What depends on content is checked per item by
    :func:`_item_fields`."""

    title: int
    link: int | None  # RSS
    entry_id: int | None  # Atom
    published: int | None
    updated: int | None
    atom_links: tuple[int, ...]
    guids_before_link: tuple[int, ...]  # a permalink one among them is feedparser's link
    fields: tuple[int, ...]  # children read as fields: none may have children
    others: tuple[int, ...]  # the rest: any child elements they have are searched

    def check_nested(self, children: list[Any]) -> None:
        """Unsupported when a child has children that could change the answer."""
        if any(len(children[index]) for index in self.fields):
            raise Unsupported("a field with child elements: feedparser serialises them")
        for index in self.others:
            if len(children[index]):  # few items have grandchildren (media:group)
                _check_nested(children[index])


# Plans kept per reader, at most, and only for items of at most so many children: a hostile
# feed could give every item other children, or thousands (the plans' keys hold their tags).
_MAX_PLANS = 32
_MAX_PLANNED_CHILDREN = 256
_tag_of = attrgetter("tag")


def _item_plan(tags: tuple[Any, ...], fields: Mapping[str, str], atom: bool) -> _ItemPlan:
    """The plan of an item whose children have ``tags``, read with ``fields`` (the kind's
    element name → field), or Unsupported when no item of this shape is read here."""
    at: dict[str, int] = {}  # title, link, id, published, updated: each at most once
    atom_links: list[int] = []
    guids_before_link: list[int] = []
    field_children: list[int] = []
    others: list[int] = []
    for index, tag in enumerate(tags):
        field = fields.get(tag)
        if field is None:
            _check_other(tag)
            others.append(index)
            continue
        field_children.append(index)
        if field == "atom link":
            atom_links.append(index)
        elif field == "guid":
            if "link" not in at:
                guids_before_link.append(index)
        elif field in at:
            raise Unsupported(f"a repeated {field}")
        else:
            at[field] = index
    if "title" not in at:
        raise Unsupported("no title")
    if not atom and "link" not in at:
        raise Unsupported("no link: feedparser may take the guid")
    return _ItemPlan(
        title=at["title"],
        link=at.get("link"),
        entry_id=at.get("id"),
        published=at.get("published"),
        updated=at.get("updated"),
        atom_links=tuple(atom_links),
        guids_before_link=tuple(guids_before_link),
        fields=tuple(field_children),
        others=tuple(others),
    )


def _check_other(tag: Any) -> None:
    """Unsupported when a child that is no field read here could still be one to feedparser."""
    if not isinstance(tag, str):
        raise Unsupported("a comment or processing instruction inside an item")
    if _local_name(tag) in _SENSITIVE:
        raise Unsupported(f"an element feedparser may map onto a field read here: {tag}")


def _plan_of(
    item: Any, children: list[Any], atom: bool, plans: dict[tuple[Any, ...], _ItemPlan]
) -> _ItemPlan:
    """The plan for ``item``'s ``children``: the reader's own (``plans``) or a new one."""
    tags = tuple(map(_tag_of, children))  # in C: no Python loop over the children
    plan = plans.get(tags)
    if plan is None:
        plan = _item_plan(tags, _FIELDS[item.tag], atom)
        if len(plans) < _MAX_PLANS and len(tags) <= _MAX_PLANNED_CHILDREN:
            plans[tags] = plan
    return plan


def _item_fields(
    item: Any, base: str, atom: bool, plans: dict[tuple[Any, ...], _ItemPlan]
) -> tuple[str, list[str], list[str], str | None, str | None, str | None]:
    """(title, candidate links, Atom related links, Atom id, published, updated) of one
    item, exactly as feedparser would see them (links resolved against ``base``, the feed),
    or Unsupported. ``plans``: the reader's plans by child tags."""
    children = item[:]
    plan = _plan_of(item, children, atom, plans)
    if any(map(len, children)):
        plan.check_nested(children)
    title_element = children[plan.title]
    title = title_element.text or ""
    if atom and title_element.get("type", "text").lower() not in _ATOM_TEXT_TYPES:
        raise Unsupported("a title of another type (base64): feedparser decodes it")
    # Whether a title's "<" and "&name;" are markup is feedparser's guess.
    if _MAYBE_MARKUP_RE.search(title):
        raise Unsupported("text that may be markup")
    for index in plan.guids_before_link:
        if children[index].get("isPermaLink", "true") == "true":
            raise Unsupported("a permalink guid before the link: feedparser takes it")
    if atom:
        hrefs, related, entry_id = _atom_links(children, plan, base)
    else:
        link = (children[plan.link].text or "").strip() if plan.link is not None else ""
        if not link:
            raise Unsupported("no link: feedparser may take the guid")
        hrefs, related, entry_id = [_join(base, link)], [], None
    published = children[plan.published].text or "" if plan.published is not None else None
    updated = children[plan.updated].text or "" if plan.updated is not None else None
    return title, hrefs, related, entry_id, published, updated


def _atom_links(
    children: list[Any], plan: _ItemPlan, base: str
) -> tuple[list[str], list[str], str | None]:
    """An Atom entry's (alternate links, related links, id)."""
    hrefs: list[str] = []
    related: list[str] = []
    for index in plan.atom_links:
        rel, href = _atom_link(children[index])
        if rel == "alternate" or rel == "related":
            (hrefs if rel == "alternate" else related).append(_join(base, href))
    entry_id = (children[plan.entry_id].text or "").strip() if plan.entry_id is not None else None
    return hrefs, related, entry_id


def _check_nested(child: Any) -> None:
    """Any sensitive element below an item's child means give up (feedparser reads some of
    them, such as media:title inside media:group), as does a comment or PI."""
    for element in child.iterdescendants():
        if not isinstance(element.tag, str):
            raise Unsupported("a comment or processing instruction inside an item")
        if _local_name(element.tag) in _SENSITIVE:
            raise Unsupported(f"a nested {element.tag}")


def _atom_link(link: Any) -> tuple[str, str]:
    """(rel, href) of a link to a page as .feedparser considers it (an HTML type; rel
    "other" for the rest)."""
    # feedparser lower-cases rel and type and defaults them to alternate and text/html.
    rel = link.get("rel", "alternate").lower()
    media_type = link.get("type", "text/html").lower()
    href = link.get("href")
    if href is None or media_type in ("", "html", "xhtml", "text"):
        raise Unsupported("an Atom link feedparser reads differently")
    if media_type in ("text/html", "application/xhtml+xml"):
        return rel, href
    return "other", href


def _join(base: str, href: str) -> str:
    """feedparser's resolution of a link against its base (the feed URL: no xml:base here)."""
    if not href:
        raise Unsupported("an empty link: feedparser keeps it empty, urljoin would not")
    if _ABSOLUTE_HTTP_RE.match(href):
        return href  # what the fixer and urljoin would give back (most feeds' links)
    try:
        return urljoin(base, _URI_FIXER_RE.sub(r"\1\3", href))
    except ValueError as exc:
        raise Unsupported("a link urljoin refuses") from exc


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2].lower()


def _date(value: str | None) -> datetime | None:
    """RFC 822 and W3C-DTF dates in their usual spelling, then localized and slashed ones
    here; the rest by feedparser."""
    if value is None:
        return None
    if _W3CDTF_RE.match(value.strip()):
        return parse_rfc3339(value)
    return parse_rfc822(value) or parse_other_spellings(value) or _fallback_date(value)


def _fallback_date(value: str) -> datetime | None:
    from .feedparser import parse_date_fallback  # imports feedparser: only for odd dates

    return parse_date_fallback(value)
