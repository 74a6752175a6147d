"""Feed documents (pure): the bytes of an RSS, Atom, RDF or JSON Feed document → posts.

Public: :func:`parse_posts`, which returns every usable post, newest first.

How a body is read:

* It is decoded here, not by feedparser: a BOM wins, then BOM-less UTF-16/32 and EBCDIC
  signatures, then the HTTP ``charset``, the XML declaration, UTF-8 and windows-1252. The
  scrubbing below then sees exactly the characters the parser will see, which a scan of the
  raw bytes cannot promise (UTF-7, ISO-2022-JP and HZ can all spell ``<!ENTITY`` without
  those bytes). feedparser gets UTF-8 labelled as UTF-8.
* Everything before the root element is dropped (DOCTYPE, internal subset, ENTITY and
  parameter-entity declarations, comments), so no entity is ever expanded and no external
  one fetched; characters XML forbids and character references to them are removed, since
  feedparser's fallback parser crashes on ``&#xD83D;``. Surrogate-pair references are joined.
* JSON Feed 1.0/1.1 is read with :mod:`json`: feedparser 6.0 does not support it.
"""

from __future__ import annotations

import calendar
import codecs
import io
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from ._text import clean_text
from ._urls import safe_http_url
from .errors import FeedError, NoPosts
from .models import Post

__all__ = ["parse_posts"]

_TITLE_MAX_LENGTH = 200
_EXCERPT_MAX_LENGTH = 100
_FUTURE_TOLERANCE = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# How "<" (or "<?xm" in EBCDIC) starts a document that has no BOM (XML 1.0, appendix F).
_SIGNATURES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
_XML_ENCODING_RE = re.compile(
    rb"""\s*<\?xml\s[^>]{0,500}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})"""
)
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# Characters XML 1.0 forbids (and lone surrogates a lenient decoder may produce).
_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Runs of character references that may name such a character, U+FFFE/U+FFFF or something
# beyond U+10FFFF. Common ones (&#8217; &#x2019;) do not match, which keeps the scan cheap.
_SUSPECT_CHAR_REF = (
    r"&#(?:[xX]0*(?:[0-9a-fA-F]|1[0-9a-fA-F]|[dDfF][0-9a-fA-F]{3}|[0-9a-fA-F]{6,})"
    r"|0*(?:[0-9]|[0-3][0-9]|[0-9]{5,}));"
)
# Spelled with a literal start so that re can skip ahead to each "&#".
_SUSPECT_CHAR_REFS_RE = re.compile(f"{_SUSPECT_CHAR_REF}(?:{_SUSPECT_CHAR_REF})*")
_CHAR_REF_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")

# The prolog scan stops at the first "<" + ASCII word character, the same test feedparser uses
# to find the end of the prolog, so feedparser's view of the prolog is never longer than ours.
_PROLOG_MARKUP_RE = re.compile(r"<(?:!--|[?!]|[A-Za-z0-9_])")
# A markup declaration with an optional internal subset; quoted strings may hold ">" and "]".
# Every alternative starts with a different character, so a failed match backtracks linearly.
_DECLARATION_RE = re.compile(
    r"""<!(?:[^\[>"']|"[^"]*"|'[^']*'|\[(?:[^\]"']|"[^"]*"|'[^']*')*\])*>"""
)
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_RFC3339_RE = re.compile(
    r"\s*(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?"
    r"\s*(?:([Zz])|([+-])(\d\d):?(\d\d))?)?\s*$"
)
_JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_PAGE_LINK_TYPES = ("text/html", "application/xhtml+xml", "")


def parse_posts(
    body: bytes,
    *,
    feed_url: str,
    site_url: str,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[Post]:
    """Every usable post of a feed document (at most ``limit``), newest first.

    ``headers`` are the response headers (the ``charset`` of ``Content-Type`` is honoured);
    relative links resolve against ``feed_url``. Dates more than a day after ``now`` (default:
    the current time) count as undated. Raises :class:`FeedError` when the body is not a feed
    or is broken beyond recovery, and :class:`NoPosts` when it holds no usable entry.

    Plain RSS/Atom documents go through :mod:`commentluv.fastfeed`, which gives the same
    posts as feedparser; whatever it does not understand goes through feedparser. With a
    ``limit`` it stops after the first ``max(limit, 10)`` items when they are all dated and
    newest first (a feed in that order is taken to stay in it); any other feed is read whole.
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    if not body.strip():
        raise FeedError("the feed is empty", url=feed_url)
    headers = headers or {}
    moment = _aware(now or datetime.now(timezone.utc))
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        from .fastfeed import FeedReader  # imports lxml: only when parsing (CLI start-up)

        reader = FeedReader(
            feed_url=feed_url, site_url=site_url, headers=headers, now=moment, limit=limit
        )
        fast = reader.read(body)
        if fast is not None:
            return fast
    text = _decode(body, _http_charset(headers))
    if text.lstrip().startswith("{"):
        posts = _json_feed_posts(text, feed_url=feed_url, site_url=site_url, now=moment)
    else:
        posts = _xml_feed_posts(
            _scrub_xml(text), headers, feed_url=feed_url, site_url=site_url, now=moment
        )
    return _newest_first(posts)[:limit]


# Decoding and scrubbing


def _http_charset(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            for parameter in value.split(";")[1:]:
                key, _, charset = parameter.partition("=")
                if key.strip().lower() == "charset":
                    return charset.strip().strip("\"'") or None
    return None


def _decode(body: bytes, http_charset: str | None) -> str:
    """Body → text: a BOM or signature wins, then the declared labels, UTF-8, windows-1252."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace")
    for signature, codec in _SIGNATURES:
        if body.startswith(signature):
            return body.decode(codec, "replace")
    match = _XML_ENCODING_RE.match(body)
    declared = match.group(1).decode("ascii") if match else None
    for label in (http_charset, declared, "utf-8", "windows-1252"):
        text = _try_decode(body, label)
        if text is not None:
            return text
    return body.decode("latin-1")


def _try_decode(body: bytes, label: str | None) -> str | None:
    if not label:
        return None
    label = label.lower()
    if label in ("gb2312", "gbk"):  # pages labelled gb2312 routinely use GB18030 characters
        label = "gb18030"
    try:
        codec = codecs.lookup(label).name
        # A UTF-16/32 body would have matched a BOM or signature: this label is wrong.
        if codec.startswith(("utf-16", "utf-32")):
            return None
        if codec == "utf-8":
            # Tolerates a body cut in the middle of a character (a capped download).
            return codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
        return body.decode(codec)
    except (LookupError, ValueError):
        return None


def _scrub_xml(text: str) -> str:
    """Decoded XML → the same document with a UTF-8 declaration, no prolog, no bad characters."""
    text = _INVALID_XML_CHARS_RE.sub("", text)
    text = _SUSPECT_CHAR_REFS_RE.sub(_repair_char_refs, text)
    return _XML_DECLARATION + text[_root_start(text) :]


def _repair_char_refs(match: re.Match[str]) -> str:
    """A run of character references with surrogate pairs joined and invalid ones removed."""
    chars = []
    for hex_digits, decimal_digits in _CHAR_REF_RE.findall(match.group()):
        digits = (hex_digits or decimal_digits).lstrip("0")
        if len(digits) > 8:
            continue
        code = int(digits or "0", 16 if hex_digits else 10)
        if code <= 0x10FFFF:
            chars.append(chr(code))
    # Round-tripping through UTF-16 pairs the surrogates up and drops the lone ones.
    joined = "".join(chars).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return "".join(f"&#{ord(char)};" for char in _INVALID_XML_CHARS_RE.sub("", joined))


def _root_start(text: str) -> int:
    """Index of the root element's "<" (len(text) when there is none).

    Comments, processing instructions and declarations are skipped whole; one left unclosed
    swallows the rest of the document, as it does for an XML parser.
    """
    position = 0
    while match := _PROLOG_MARKUP_RE.search(text, position):
        start, opener = match.start(), match.group()
        if opener == "<!--":
            end = text.find("-->", start + 4)
            position = end + 3 if end >= 0 else len(text)
        elif opener == "<?":
            end = text.find("?>", start + 2)
            position = end + 2 if end >= 0 else len(text)
        elif opener == "<!":
            declaration = _DECLARATION_RE.match(text, start)
            position = declaration.end() if declaration else len(text)
        else:
            return start
    return len(text)


# XML feeds (RSS, Atom, RDF) through feedparser


def _xml_feed_posts(
    document: str, headers: Mapping[str, str], *, feed_url: str, site_url: str, now: datetime
) -> list[Post]:
    import feedparser  # slow to import; the CLI's --help must stay fast

    response_headers = {name.lower(): value for name, value in headers.items()}
    # The document is UTF-8 now; content-location is the base for relative links.
    response_headers["content-type"] = "application/xml; charset=utf-8"
    response_headers["content-location"] = feed_url
    try:
        # Links are resolved and markup is stripped here, so feedparser's passes are skipped.
        result = feedparser.parse(
            io.BytesIO(document.encode("utf-8")),
            response_headers=response_headers,
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser's lenient parser has crashed on odd input
        raise FeedError(f"the feed could not be parsed: {exc!r}", url=feed_url) from exc
    version = str(result.get("version") or "")
    entries = result.get("entries") or []
    if not version and not entries:
        raise FeedError("not an RSS, Atom or JSON feed", url=feed_url)
    # Only Atom declares title and summary types; for RSS feedparser guesses them.
    types_guessed = not version.startswith("atom")
    # Plain dicts: FeedParserDict maps a missing updated_parsed to published_parsed, warning.
    entries = [dict(entry) for entry in entries]
    posts = [
        _post(
            _entry_title(entry, types_guessed=types_guessed),
            _entry_link(entry, feed_url),
            _entry_date(entry),
            feed_url=feed_url,
            site_url=site_url,
            now=now,
        )
        for entry in entries
    ]
    return _usable(posts, feed_url)


def _entry_title(entry: Mapping[str, Any], *, types_guessed: bool) -> str:
    """The entry's title, or the start of its text when it has none."""
    title = entry.get("title")
    title_type = (entry.get("title_detail") or {}).get("type")
    # Without a summary_detail, feedparser's "summary" is a copy of the content: skip it.
    details = [entry.get("summary_detail"), *(entry.get("content") or [])]
    excerpts = [
        (detail.get("value"), _is_markup(detail.get("type"), detail.get("value"), types_guessed))
        for detail in details
        if detail
    ]
    return _title(title, _is_markup(title_type, title, types_guessed), excerpts)


def _is_markup(content_type: Any, text: Any, types_guessed: bool) -> bool:
    """Whether a feedparser text construct holds HTML.

    feedparser calls RSS text "text/plain" when it holds a tag it does not know (<script>,
    <svg>): such text is markup all the same. Atom's type="text" is taken at its word.
    """
    if str(content_type or "").lower() in _HTML_TYPES:
        return True
    return types_guessed and isinstance(text, str) and _TAG_RE.search(text) is not None


def _entry_link(entry: Mapping[str, Any], feed_url: str) -> str | None:
    """The entry's web page: an HTML rel="alternate" link first, then ``entry.link``."""
    hrefs = [
        link.get("href")
        for link in entry.get("links") or []
        if link.get("rel", "alternate") == "alternate" and link.get("type", "") in _PAGE_LINK_TYPES
    ]
    hrefs.append(entry.get("link"))
    return _first_safe_url(hrefs, feed_url)


def _entry_date(entry: Mapping[str, Any]) -> datetime | None:
    """Published, else updated, as an aware UTC datetime (feedparser's struct_time is UTC)."""
    for key in ("published_parsed", "updated_parsed"):
        moment = _from_struct_time(entry.get(key))
        if moment is not None:
            return moment
    return None


def _from_struct_time(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return _EPOCH + timedelta(seconds=calendar.timegm(value))
    except (OverflowError, ValueError):
        return None


# JSON Feed


def _json_feed_posts(text: str, *, feed_url: str, site_url: str, now: datetime) -> list[Post]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"malformed JSON: {exc}", url=feed_url) from exc
    if not isinstance(document, dict) or not _string(document, "version").startswith(
        _JSON_FEED_VERSIONS
    ):
        raise FeedError("JSON document that is not a JSON Feed", url=feed_url)
    items = document.get("items")
    posts = [
        _post(
            _json_item_title(item),
            _first_safe_url([_string(item, "url"), _string(item, "external_url")], feed_url),
            _json_item_date(item),
            feed_url=feed_url,
            site_url=site_url,
            now=now,
        )
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return _usable(posts, feed_url)


def _json_item_title(item: Mapping[str, Any]) -> str:
    """A JSON Feed title is plain text by the spec; untitled notes fall back to their text."""
    excerpts = [
        (_string(item, "content_text"), False),
        (_string(item, "content_html"), True),
        (_string(item, "summary"), False),
    ]
    return _title(_string(item, "title"), False, excerpts)


def _json_item_date(item: Mapping[str, Any]) -> datetime | None:
    for key in ("date_published", "date_modified"):
        moment = _parse_rfc3339(_string(item, key))
        if moment is not None:
            return moment
    return None


def _string(mapping: Mapping[str, Any], key: str) -> str:
    """A string member ("" when missing or not a string), without control characters or lone
    surrogates (which json.loads lets through and UTF-8 cannot encode)."""
    value = mapping.get(key)
    return _INVALID_XML_CHARS_RE.sub("", value) if isinstance(value, str) else ""


def _parse_rfc3339(value: str) -> datetime | None:
    match = _RFC3339_RE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, zulu, sign, offset_h, offset_m = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            min(int(second or 0), 59),  # a leap second
            tzinfo=timezone.utc,
        )
        if sign and not zulu:
            offset = timedelta(hours=int(offset_h), minutes=int(offset_m))
            moment -= offset if sign == "+" else -offset
    except (ValueError, OverflowError):
        return None
    return moment


# Shared: entry fields → Post


def _title(title: Any, markup: bool, excerpts: Iterable[tuple[Any, bool]]) -> str:
    """Clean title, else the clean start of the first non-empty text; "" when there is none."""
    if isinstance(title, str):
        cleaned = clean_text(title, _TITLE_MAX_LENGTH, markup=markup)
        if cleaned:
            return cleaned
    for text, text_markup in excerpts:
        if isinstance(text, str):
            cleaned = clean_text(text, _EXCERPT_MAX_LENGTH, markup=text_markup)
            if cleaned:
                return cleaned
    return ""


def _first_safe_url(hrefs: Iterable[Any], base: str) -> str | None:
    for href in hrefs:
        if isinstance(href, str):
            url = safe_http_url(href, base=base, keep_fragment=True)
            if url is not None:
                return url
    return None


def _post(
    title: str,
    link: str | None,
    published: datetime | None,
    *,
    feed_url: str,
    site_url: str,
    now: datetime,
) -> Post | None:
    """A Post, or None when there is nothing to show as its title."""
    if not title:
        return None
    if published is not None and published > now + _FUTURE_TOLERANCE:
        published = None  # a scheduled post or a broken clock: its place in time is unknown
    return Post(title=title, link=link, published=published, feed_url=feed_url, site_url=site_url)


def _usable(posts: Iterable[Post | None], feed_url: str) -> list[Post]:
    usable = [post for post in posts if post is not None]
    if not usable:
        raise NoPosts("the feed has no posts", url=feed_url)
    return usable


def _newest_first(posts: list[Post]) -> list[Post]:
    """Dated posts newest first (ties keep document order), then undated ones in order."""
    dated = [post for post in posts if post.published is not None]
    undated = [post for post in posts if post.published is None]
    return sorted(dated, key=_published, reverse=True) + undated


def _published(post: Post) -> datetime:
    return post.published or _EPOCH


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
