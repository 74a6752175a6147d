"""commentluv's reader held to other projects' test corpora (issue 22). Fetches nothing: it
reads checkouts given on the command line.

    python -m bench.corpora --feedparser DIR --gofeed DIR --netnewswire DIR [--details]

* ``--feedparser``: a checkout of kurtmckee/feedparser. Every fixture of ``tests/wellformed``,
  ``illformed``, ``encoding`` and ``entities`` whose ``Expect:`` line names an entry's
  ``title`` (or ``title_detail.value``), ``link`` or ``published_parsed``/``updated_parsed``,
  and the cases of ``tests/test_date_parsers.py`` (each date put in an RSS item).
* ``--gofeed``: a checkout of mmcdole/gofeed. Every ``testdata`` fixture whose expected JSON
  names an item's (entry's) title, link (an Atom entry's first alternate link) or parsed
  publication date.
* ``--netnewswire``: a checkout of Ranchero-Software/NetNewsWire. Each feed of
  ``Modules/RSParser/Tests/RSParserTests/Resources``: the newest post beside feedparser's
  newest entry (title, link, date); each HTML page: the feed commentluv ranks first.

Each case is read with :func:`commentluv._feeds.parse_posts` (what a lookup runs on a feed
body) at the URL feedparser's own HTTP tests serve it from, and compared with the
expectation after commentluv's documented cleaning (titles are plain text: the expected
value is cleaned by :func:`commentluv._shared.text.clean_text` as HTML and as text, and
either matching agrees). A disagreement is put down to a cause, the deliberate ones
(documented product choices) apart from the rest.
"""

from __future__ import annotations

import argparse
import ast
import base64
import calendar
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from commentluv._discovery import find_feed_links
from commentluv._feeds import parse_posts
from commentluv._feeds.post import has_words
from commentluv._shared.text import clean_text
from commentluv._shared.urls import safe_http_url
from commentluv.errors import CommentLuvError
from commentluv.models import Post

NOW = datetime(2100, 1, 1, tzinfo=timezone.utc)  # no fixture date counts as the future
BASE = "http://127.0.0.1:8097/"  # where feedparser's HTTP tests serve the fixtures
FEEDPARSER_DIRS = ("wellformed", "illformed", "encoding", "entities")
FIELDS = ("title", "excerpt", "link", "date")
EXCERPT_LENGTH = 100  # commentluv._feeds.post.EXCERPT_MAX_LENGTH
# An item's or entry's own title (not the channel's): whether its text is the post's title.
_ENTRY_TITLE_RE = re.compile(rb"<(?:\w+:)?(?:item|entry)\b.*?<(?:\w+:)?title\b", re.DOTALL)
_ENTRY_START_RE = re.compile(rb"(<(?:\w+:)?(?:item|entry)\b[^>]*>)")
_ADDED_TITLE = "Added title"

_EXPECT_RE = re.compile(r"Expect:\s*(.*?)\s*-->", re.DOTALL)
_HEADER_RE = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
_DATE_KEYS = {"published_parsed", "updated_parsed", "publishedParsed", "updatedParsed"}

# Deliberate differences: the cause, and why (bench/README.md carries the same list).
DELIBERATE = {
    "no post": "an entry with neither title nor text is no post: nothing to show",
    "format not read": "CDF (Microsoft's Channel Definition Format) is not read",
    "unsafe link": "only http(s) links are kept (javascript:, data:, mailto: ... are no link)",
    "relative link": "feedparser parsed the fixture as a string, without a URL to resolve "
    "against; commentluv resolves against the feed's URL",
    "self link": "an empty or self-referencing href is no link (issue 22, item 6)",
    "content-location": "a response's Content-Location is no base for links (browsers do "
    "not use it either): links resolve against the URL fetched",
    "title as text": "a title is one line of plain text; tag-shaped text is removed even in a "
    "plain-text title (the safe rule, README 'Titles')",
    "future date": "a date more than a day ahead is no date",
    "date invented": "a date the parser did not read (no such number in the text) is no date",
    "last link": "several RSS <link>s: the first http(s) one (feedparser and gofeed take the "
    "last; see README 'Which link')",
}


@dataclass(frozen=True)
class Case:
    corpus: str
    path: str
    body: bytes
    headers: dict[str, str]
    entry: int
    field: str  # title, link or date
    expected: Any  # str, or a UTC datetime for "date"


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: Any
    agrees: bool
    cause: str | None  # None when it agrees


# feedparser


def feedparser_cases(root: Path) -> Iterator[Case]:
    for directory in FEEDPARSER_DIRS:
        for path in sorted((root / "tests" / directory).rglob("*.xml")):
            body = path.read_bytes()
            text = _loose_text(body)
            expect = _EXPECT_RE.search(text)
            if expect is None:
                continue
            relative = path.relative_to(root).as_posix()
            headers = {}
            if "http" in relative:  # feedparser serves these with the Header: lines
                headers = {k: v.strip() for k, v in _HEADER_RE.findall(text)}
                headers.setdefault("Content-type", "text/xml")
            for entry, field, value in _expectations(expect.group(1)):
                yield Case("feedparser", relative, body, headers, entry, field, value)
    yield from _date_parser_cases(root / "tests" / "test_date_parsers.py")
    yield from _declared_encoding_cases(root / "tests" / "test_encoding.py")


def _loose_text(body: bytes) -> str:
    for codec in ("utf-8", "utf-16", "utf-32"):
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    return body.decode("latin-1")


def _expectations(expression: str) -> Iterator[tuple[int, str, Any]]:
    """(entry, field, expected) of each ``entries[N][...] == literal`` in an Expect line; of
    several texts of one entry, the one a title-less post is made of (summary first)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return
    excerpts: dict[int, tuple[int, Any]] = {}
    for entry, field, value in _named(tree):
        if field.startswith("excerpt"):
            rank = 1 if field == "excerpt content" else 0
            if entry not in excerpts or rank < excerpts[entry][0]:
                excerpts[entry] = (rank, value)
        else:
            yield entry, field, value
    for entry, (_, value) in excerpts.items():
        yield entry, "excerpt", value


def _named(tree: ast.AST) -> Iterator[tuple[int, str, Any]]:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
            continue
        if not isinstance(node.ops[0], ast.Eq):
            continue
        chain = _subscripts(node.left)
        if len(chain) < 3 or chain[0] != "entries" or not isinstance(chain[1], int):
            continue
        field = _field(chain[2:])
        if field is None:
            continue
        try:
            value = ast.literal_eval(node.comparators[0])
        except ValueError:
            continue
        if field == "date":
            value = _struct_time(value)
        if value is not None:
            yield chain[1], field, value


def _subscripts(node: ast.expr) -> list[Any]:
    chain: list[Any] = []
    while isinstance(node, ast.Subscript):
        key = node.slice
        chain.append(key.value if isinstance(key, ast.Constant) else None)
        node = node.value
    chain.append(node.id if isinstance(node, ast.Name) else None)
    return chain[::-1]


def _field(keys: list[Any]) -> str | None:
    if keys in (["title"], ["title_detail", "value"]):
        return "title"
    if keys in (["description"], ["summary"]):
        return "excerpt"
    if keys == ["content", 0, "value"]:
        return "excerpt content"
    if keys == ["link"]:
        return "link"
    if len(keys) == 1 and keys[0] in _DATE_KEYS:
        return "date"
    return None


def _struct_time(value: Any) -> datetime | None:
    if not isinstance(value, tuple) or len(value) < 6:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm((*value[:6], 0, 0, 0)), timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _date_parser_cases(path: Path) -> Iterator[Case]:
    """The date strings of feedparser's date-parser tests, each as an RSS item's pubDate."""
    if not path.exists():
        return
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 3):
            continue
        parser, written, expected = node.elts
        if not (isinstance(parser, ast.Name) and parser.id == "_parse_date"):
            continue
        try:
            text, value = ast.literal_eval(written), ast.literal_eval(expected)
        except ValueError:
            continue
        if not isinstance(text, str):
            continue
        item = f"<item><title>Dated</title><link>{BASE}post</link><pubDate>{_escape(text)}"
        body = f"<rss version='2.0'><channel>{item}</pubDate></item></channel></rss>".encode()
        yield Case("feedparser", f"test_date_parsers: {text!r}", body, {}, 0, "date",
                   _struct_time(value) if value is not None else None)  # fmt: skip


def _declared_encoding_cases(path: Path) -> Iterator[Case]:
    """feedparser's test that the declared encoding is honoured (b"\\x80" in each code page
    of its list), with the character in an entry's title instead of the feed's."""
    if not path.exists():
        return
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.FunctionDef) and node.name == "test_encoding"):
            continue
        for decorator in node.decorator_list:
            for argument in getattr(decorator, "args", [])[1:]:
                for encoding in ast.literal_eval(argument):
                    yield _declared_encoding_case(encoding)


def _declared_encoding_case(encoding: str) -> Case:
    title = "Title " + b"\x80".decode(encoding)
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?><feed version="0.3"'
        f' xmlns="http://purl.org/atom/ns#"><entry><title>{title}</title></entry></feed>'
    ).encode(encoding)
    return Case("feedparser", f"test_encoding: {encoding}", body, {}, 0, "title", title)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


# gofeed


def gofeed_cases(root: Path) -> Iterator[Case]:
    for path in sorted((root / "testdata").rglob("*.json")):
        source = path.with_suffix(".xml")
        if not source.exists():
            source = path.with_suffix(".json.in")  # gofeed's JSON Feed inputs, if any
        if not source.exists():
            continue
        try:
            expected = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        relative = source.relative_to(root).as_posix()
        body = source.read_bytes()
        for entry, field, value in _gofeed_expectations(expected):
            yield Case("gofeed", relative, body, {}, entry, field, value)


def _gofeed_expectations(document: Any) -> Iterator[tuple[int, str, Any]]:
    if not isinstance(document, dict):
        return
    items = document.get("items") or document.get("entries") or []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("title"), str):
            yield index, "title", item["title"]
        link = _gofeed_link(item)
        if link is not None:
            yield index, "link", link
        for key in ("publishedParsed", "updatedParsed"):
            if isinstance(item.get(key), str):
                moment = _iso(item[key])
                if moment is not None:
                    yield index, "date", moment
                break


def _gofeed_link(item: dict[str, Any]) -> str | None:
    if isinstance(item.get("link"), str):
        return str(item["link"])
    for link in item.get("links") or []:
        if isinstance(link, dict) and link.get("rel", "alternate") == "alternate":
            href = link.get("href")
            return href if isinstance(href, str) else None
    return None


def _iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


# Comparing


def read_posts(case: Case) -> list[Post] | CommentLuvError:
    try:
        return parse_posts(case.body, feed_url=BASE + case.path, site_url=BASE,
                           headers=case.headers, now=NOW)  # fmt: skip
    except CommentLuvError as exc:
        return exc


def comparable(case: Case) -> Case | None:
    """The case as it can be compared: an entry's text is its post's title only when the
    entry has no title; a link or a date is compared on an entry that has one (an entry with
    nothing to show is no post), added to an ASCII-compatible document that lacks it."""
    has_title = _ENTRY_TITLE_RE.search(case.body) is not None
    if case.field == "excerpt":
        return None if has_title else case
    if case.field in ("link", "date") and not has_title:
        title = f"<title>{_ADDED_TITLE}</title>".encode()
        body = _ENTRY_START_RE.sub(lambda m: m.group(1) + title, case.body)
        return Case(case.corpus, case.path, body, case.headers, case.entry, case.field,
                    case.expected) if body != case.body else case  # fmt: skip
    return case


def compare(case: Case, posts: list[Post] | CommentLuvError) -> Outcome | None:
    """None when the case cannot be compared (see :func:`_entry_post`)."""
    if isinstance(posts, CommentLuvError):
        expected_text = case.expected if isinstance(case.expected, str) else ""
        if case.field in ("title", "excerpt") and not has_words(clean_text(expected_text)):
            return Outcome(case, posts.kind, True, None)  # nothing to show, either way
        cause = "format not read" if b"<CHANNEL" in case.body else "no post"
        return Outcome(case, posts.kind, False, cause)
    post = _entry_post(posts, case.entry)
    if post is None:
        return None
    fields = {"title": post.title, "excerpt": post.title, "link": post.link,
              "date": post.published}  # fmt: skip
    got: Any = fields[case.field]
    if case.field in ("title", "excerpt"):
        length = 200 if case.field == "title" else EXCERPT_LENGTH
        agrees = got in _cleaned(case.expected, length)
    elif case.field == "date" and case.expected is not None and got is not None:
        agrees = got.replace(microsecond=0) == case.expected
    elif case.field == "link" and isinstance(case.expected, str):
        # Equivalent URLs agree ("http://example.org" is "http://example.org/").
        agrees = got == (safe_http_url(case.expected, keep_fragment=True) or case.expected)
    else:
        agrees = got == case.expected
    return Outcome(case, got, agrees, None if agrees else _cause(case, got))


def _entry_post(posts: list[Post], entry: int) -> Post | None:
    """The post of the ``entry``-th entry. Posts come newest first: only a document of one
    post, or of undated posts only (kept in document order), says which entry is which."""
    if len(posts) == 1 or all(post.published is None for post in posts):
        return posts[entry] if entry < len(posts) else None
    return None


def _cleaned(expected: Any, length: int = 200) -> set[str]:
    if not isinstance(expected, str):
        return set()
    return {clean_text(expected, length, markup=True), clean_text(expected, length, markup=False)}


def _cause(case: Case, got: Any) -> str:
    expected = case.expected
    if case.field == "link":
        if got is None and isinstance(expected, str):
            if not expected.lower().startswith(("http:", "https:", "/")) and ":" in expected:
                return "unsafe link"
            if expected in ("", BASE + case.path) or expected.endswith(".php"):
                return "self link"
        if isinstance(got, str) and isinstance(expected, str) and got.endswith(expected):
            return "relative link"
        if any(name.lower() == "content-location" for name in case.headers):
            return "content-location"
        if b"<link" in case.body and case.body.count(b"<link") > 1:
            return "last link"
        return "link"
    if case.field == "date":
        if got is None and expected is not None and expected > NOW:
            return "future date"
        if got is None and expected is not None:
            return "date unread"
        if expected is None:
            return "date invented" if got is None else "date where feedparser reads none"
        return "date differs"
    if isinstance(got, str) and _base64_text(got) in _cleaned(expected):
        return "base64 title read raw"
    if isinstance(expected, str) and "<" in expected:
        return "title as text"
    return case.field


def _base64_text(text: str) -> str | None:
    try:
        return clean_text(base64.b64decode(text, validate=True).decode("utf-8"))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


def run_feeds(cases: list[Case]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    read: dict[tuple[str, bytes], list[Post] | CommentLuvError] = {}
    for original in cases:
        case = comparable(original)
        if case is None:
            continue
        key = (case.path, case.body)
        if key not in read:
            read[key] = read_posts(case)
        outcome = compare(case, read[key])
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def table(outcomes: list[Outcome], cases: list[Case]) -> str:
    causes = Counter(o.cause for o in outcomes if not o.agrees)
    deliberate = sum(n for cause, n in causes.items() if cause in DELIBERATE)
    agree = sum(o.agrees for o in outcomes)
    lines = [
        "| corpus | cases named | compared | agree | disagree | of which deliberate |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for corpus in sorted({o.case.corpus for o in outcomes}):
        mine = [o for o in outcomes if o.case.corpus == corpus]
        bad = [o for o in mine if not o.agrees]
        named = sum(case.corpus == corpus for case in cases)
        lines.append(
            f"| {corpus} | {named} | {len(mine)} | {len(mine) - len(bad)} | {len(bad)} |"
            f" {sum(o.cause in DELIBERATE for o in bad)} |"
        )
    disagree = len(outcomes) - agree
    lines.append(f"| all | {len(cases)} | {len(outcomes)} | {agree} | {disagree} | {deliberate} |")
    lines += ["", "| cause | cases | deliberate |", "|---|---:|---|"]
    lines += [
        f"| {cause} | {n} | {'yes' if cause in DELIBERATE else 'no'} |"
        for cause, n in causes.most_common()
    ]
    return "\n".join(lines)


# NetNewsWire's saved documents


def netnewswire(root: Path) -> str:
    """Each saved feed's newest post beside feedparser's newest entry (XML feeds; feedparser
    reads no JSON Feed), and each saved page's first-ranked feed."""
    import feedparser  # the reference for the feeds

    resources = root / "Modules" / "RSParser" / "Tests" / "RSParserTests" / "Resources"
    rows, agree, compared = [], 0, 0
    for path in sorted(resources.iterdir()):
        body = path.read_bytes()
        if path.suffix == ".html":
            links = find_feed_links(body, f"https://{path.stem.lower()}.example/")
            first = links.feeds[0].url if links.feeds else None
            rows.append(f"| {path.name} | page: first feed | {first} | |")
            continue
        if path.suffix not in (".xml", ".rss", ".atom", ".rdf", ".json"):
            continue
        ours = read_posts(Case("nnw", path.name, body, {}, 0, "title", None))
        if isinstance(ours, CommentLuvError):
            rows.append(f"| {path.name} | feed | {ours.kind} | |")
            continue
        if path.suffix == ".json":
            rows.append(
                f"| {path.name} | JSON Feed | {ours[0].title!r} | (not read by feedparser) |"
            )
            continue
        theirs = _feedparser_newest(feedparser.parse(body))
        newest = ours[0]
        compared += 1
        # An untitled entry's post is titled with the start of its text, by design.
        if (
            theirs is not None
            and theirs[1] == newest.published
            and (newest.title in {theirs[0], *_cleaned(theirs[2])} or not theirs[2])
        ):
            agree += 1
            continue
        mine = f"{newest.title!r} {newest.published}"
        rows.append(f"| {path.name} | feed: differs | {mine} | {theirs and theirs[:2]} |")
    head = [
        f"NetNewsWire: {agree} of {compared} XML feeds agree with feedparser's newest post"
        " (title and date); the others, the JSON Feeds and the pages:",
        "",
        "| document | kind | commentluv | feedparser |",
        "|---|---|---|---|",
    ]
    return "\n".join(head + rows)


def _feedparser_newest(result: Any) -> tuple[str, datetime | None, str] | None:
    dated = []
    for position, entry in enumerate(result.get("entries") or []):
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        moment = _struct_time(tuple(parsed)) if parsed else None
        dated.append((moment or datetime.min.replace(tzinfo=timezone.utc), -position, entry))
    if not dated:
        return None
    moment, _, entry = max(dated, key=lambda row: row[:2])
    title = str(entry.get("title") or "")
    return clean_text(title, 200), (moment if moment.year > 1 else None), title


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpora", description=__doc__)
    parser.add_argument("--feedparser", type=Path)
    parser.add_argument("--gofeed", type=Path)
    parser.add_argument("--netnewswire", type=Path)
    parser.add_argument("--details", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    cases: list[Case] = []
    if args.feedparser:
        cases += feedparser_cases(args.feedparser)
    if args.gofeed:
        cases += gofeed_cases(args.gofeed)
    started = time.perf_counter()
    outcomes = run_feeds(cases)
    sys.stdout.write(table(outcomes, cases) + "\n")
    if args.details:
        for o in outcomes:
            if not o.agrees:
                c = o.case
                sys.stdout.write(f"- [{o.cause}] {c.path} entries[{c.entry}].{c.field}: "
                                 f"expected {c.expected!r}, got {o.got!r}\n")  # fmt: skip
    sys.stdout.write(f"\n({time.perf_counter() - started:.1f} s)\n")
    if args.netnewswire:
        sys.stdout.write("\n" + netnewswire(args.netnewswire) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
