"""``commentluv [lookup] URL ...``: look sites up and print their backlinks."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TextIO

from .._version import __version__
from ..errors import CommentLuvError
from ..formatting import FORMATS, STYLES, format_backlink, validate_style
from .options import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    add_lookup_options,
    build_client,
    close_cache,
    logging_to_stderr,
    positive_int,
    shown_url,
)

if TYPE_CHECKING:
    from ..models import LookupResult, Post

__all__ = ["run_lookup"]


def _lookup_parser(commands: Mapping[str, str]) -> argparse.ArgumentParser:
    listed = "\n".join(f"  {name:<10} {text}" for name, text in commands.items())
    parser = argparse.ArgumentParser(
        prog="commentluv",
        usage="commentluv [options] URL [URL ...]\n       commentluv COMMAND [options] ...",
        description="Find the latest blog post of each site and print a CommentLuv backlink.",
        epilog=(
            f"commands:\n{listed}\n\n"
            "'commentluv COMMAND --help' shows a command's options. To look up a URL spelled\n"
            "like a command, give its scheme (https://serve) or put it after '--'.\n\n"
            "Exit status: 0 if every URL gave a post, 1 if some did not, 2 on usage errors."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "urls",
        nargs="+",
        metavar="URL",
        help="site URL; '-' reads URLs from stdin, one per line ('#' starts a comment)",
    )
    parser.add_argument("--name", default="", help="commenter name (default: the site's host)")
    parser.add_argument(
        "--style",
        default="card",
        help=f"{', '.join(STYLES)} or a template with {{name}} {{title}} {{link}} {{site}}",
    )
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="text")
    parser.add_argument("--dofollow", action="store_true", help="HTML links without nofollow")
    parser.add_argument(
        "--recent",
        type=positive_int,
        metavar="N",
        help="the N latest posts: the backlink, then one title per line",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per URL per line")
    parser.add_argument(
        "--refresh", action="store_true", help="look every site up again, whatever is cached"
    )
    add_lookup_options(parser)
    parser.add_argument("--version", action="version", version=f"commentluv {__version__}")
    return parser


def run_lookup(argv: list[str], stdin: TextIO, commands: Mapping[str, str]) -> int:
    """Look up each URL in ``argv`` and print its backlink; ``commands`` lists the other
    commands for ``--help``."""
    parser = _lookup_parser(commands)
    args = parser.parse_args(argv)
    try:
        validate_style(args.style, args.fmt)
    except ValueError as exc:
        parser.error(str(exc))
    urls = _expand_stdin(args.urls, stdin)
    if not urls:
        parser.error("no URL given")
    if any(not url.strip() for url in urls):
        parser.error("an empty URL was given")
    with logging_to_stderr(args.verbose):
        # A one-shot command would wait for a background refresh anyway: refresh up front.
        client, cache = build_client(args, stale_ttl=0)
        limit = args.recent or 1
        try:
            with client, ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
                results = list(
                    pool.map(lambda url: client.lookup(url, limit, refresh=args.refresh), urls)
                )
        finally:
            close_cache(cache)
        for url, result in zip(urls, results, strict=True):
            _report(url, result, args)
    return EXIT_OK if all(result.ok for result in results) else EXIT_SOME_FAILED


def _expand_stdin(urls: Sequence[str], stdin: TextIO) -> list[str]:
    expanded: list[str] = []
    for url in urls:
        if url != "-":
            expanded.append(url)
            continue
        for line in stdin:
            line = line.strip()
            if line and not line.startswith("#"):
                expanded.append(line)
    return expanded


def _report(url: str, result: LookupResult, args: argparse.Namespace) -> None:
    if result.error is not None:
        _report_error(url, result.error, result.cached, args)
        return
    logging.getLogger("commentluv").info(
        "%s: answered from the %s", shown_url(url), "cache" if result.cached else "network"
    )
    posts = list(result.posts)
    lines = [_line(post, args, args.style) for post in posts[:1]]
    # The other recent posts: their titles, not the whole "last blog" line again.
    lines += [_line(post, args, "{title}") for post in posts[1:]]
    if not args.json:
        print("\n".join(lines))
        return
    newest = posts[0]
    record: dict[str, Any] = {
        "url": url,
        "ok": True,
        "cached": result.cached,
        "feed_url": newest.feed_url,
        "source": newest.source,
        "title": newest.title,
        "link": newest.link,
        "published": newest.published.isoformat() if newest.published else None,
        "backlink": lines[0],
        "error": None,
    }
    if args.recent:
        record["posts"] = [
            {**post.to_dict(), "backlink": _line(post, args, args.style)} for post in posts
        ]
    print(json.dumps(record, ensure_ascii=False))


def _line(post: Post, args: argparse.Namespace, style: str) -> str:
    return format_backlink(post, args.name, style=style, fmt=args.fmt, dofollow=args.dofollow)


def _report_error(url: str, error: CommentLuvError, cached: bool, args: argparse.Namespace) -> None:
    note = " (remembered from an earlier lookup; --refresh looks again)" if cached else ""
    print(f"commentluv: {shown_url(url)}: {error.message}{note} [{error.kind}]", file=sys.stderr)
    if args.json:
        record = {
            "url": url,
            "ok": False,
            "cached": cached,
            "feed_url": None,
            "source": None,
            "title": None,
            "link": None,
            "published": None,
            "backlink": None,
            "error": error.to_dict(),
        }
        print(json.dumps(record, ensure_ascii=False))
