"""The ``commentluv`` command: print the backlink of each site URL given.

Kept light at import time (``--help`` must be instant): the HTTP and parsing stack is imported
only once there is something to look up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._version import __version__
from .cache import NullCache
from .errors import CommentLuvError
from .formatting import STYLES, format_backlink, validate_style

if TYPE_CHECKING:
    from .cache.sqlite import SQLiteCache
    from .client import CommentLuv
    from .models import Post

__all__ = ["default_cache_path", "main"]

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commentluv",
        description="Find the latest blog post of each site and print a CommentLuv backlink.",
        epilog="Exit status: 0 if every URL gave a post, 1 if some did not, 2 on usage errors.",
    )
    parser.add_argument(
        "urls", nargs="+", metavar="URL", help="site URL; '-' reads URLs from stdin"
    )
    parser.add_argument("--name", default="", help="commenter name (default: the site's host)")
    parser.add_argument(
        "--style",
        default="card",
        help=f"{', '.join(STYLES)} or a template with {{name}} {{title}} {{link}} {{site}}",
    )
    parser.add_argument(
        "--format", dest="fmt", choices=("text", "html", "markdown"), default="text"
    )
    parser.add_argument("--dofollow", action="store_true", help="HTML links without nofollow")
    parser.add_argument("--recent", type=_positive_int, metavar="N", help="show the N latest posts")
    parser.add_argument("--json", action="store_true", help="one JSON object per URL per line")
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=10.0,
        metavar="SECONDS",
        help="total time for each lookup (default 10)",
    )
    parser.add_argument(
        "--allow-private-hosts",
        action="store_true",
        help="allow loopback and private addresses on any port (testing, intranets)",
    )
    parser.add_argument("--user-agent", help="User-Agent header to send")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache",
        type=Path,
        metavar="PATH",
        help="SQLite cache file (default: $XDG_CACHE_HOME/commentluv/cache.sqlite3)",
    )
    cache.add_argument("--no-cache", action="store_true", help="look every site up afresh")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-vv: debug)"
    )
    parser.add_argument("--version", action="version", version=f"commentluv {__version__}")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run the command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        validate_style(args.style, args.fmt)
    except ValueError as exc:
        parser.error(str(exc))
    urls = _expand_stdin(args.urls, stdin or sys.stdin)
    if not urls:
        parser.error("no URL given")
    if args.verbose:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            format="commentluv: %(levelname)s: %(message)s",
        )

    from .client import DEFAULT_USER_AGENT, CommentLuv

    cache = _open_cache(args)
    client = CommentLuv(
        timeout=args.timeout,
        allow_private_hosts=args.allow_private_hosts,
        user_agent=args.user_agent or DEFAULT_USER_AGENT,
        cache=cache,
        # A one-shot command would wait for a background refresh anyway: refresh up front.
        stale_ttl=0,
    )
    try:
        with client, ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
            outcomes = list(pool.map(lambda url: _look_up(client, url, args.recent or 1), urls))
    finally:
        if not isinstance(cache, NullCache):
            cache.close()
    failed = 0
    for url, outcome in zip(urls, outcomes, strict=True):
        if isinstance(outcome, CommentLuvError):
            failed += 1
            _report_error(url, outcome, args)
        else:
            _report_posts(url, outcome, args)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/commentluv/cache.sqlite3``, or under ``~/.cache`` when unset."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative path.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "commentluv" / "cache.sqlite3"


def _open_cache(args: argparse.Namespace) -> SQLiteCache | NullCache:
    if args.no_cache:
        return NullCache()
    from .cache.sqlite import SQLiteCache

    return SQLiteCache(args.cache or default_cache_path())


def _expand_stdin(urls: Sequence[str], stdin: TextIO) -> list[str]:
    expanded: list[str] = []
    for url in urls:
        if url == "-":
            expanded.extend(line.strip() for line in stdin if line.strip())
        else:
            expanded.append(url)
    return expanded


def _look_up(client: CommentLuv, url: str, limit: int) -> list[Post] | CommentLuvError:
    try:
        return client.recent(url, limit=limit)
    except CommentLuvError as exc:
        return exc


def _report_posts(url: str, posts: list[Post], args: argparse.Namespace) -> None:
    lines = [
        format_backlink(post, args.name, style=args.style, fmt=args.fmt, dofollow=args.dofollow)
        for post in posts
    ]
    if not args.json:
        print("\n".join(lines))
        return
    newest = posts[0]
    record: dict[str, Any] = {
        "url": url,
        "ok": True,
        "feed_url": newest.feed_url,
        "title": newest.title,
        "link": newest.link,
        "published": newest.published.isoformat() if newest.published else None,
        "backlink": lines[0],
        "error": None,
    }
    if args.recent:
        record["posts"] = [
            {**post.to_dict(), "backlink": line} for post, line in zip(posts, lines, strict=True)
        ]
    print(json.dumps(record, ensure_ascii=False))


def _report_error(url: str, error: CommentLuvError, args: argparse.Namespace) -> None:
    # One readable line on stderr; the shown URL is cut and escaped (it came from a stranger).
    shown = ascii(url[:200])[1:-1]
    print(f"commentluv: {shown}: {error.message} [{error.kind}]", file=sys.stderr)
    if args.json:
        record = {
            "url": url,
            "ok": False,
            "feed_url": None,
            "title": None,
            "link": None,
            "published": None,
            "backlink": None,
            "error": {"kind": error.kind, "message": error.message},
        }
        print(json.dumps(record, ensure_ascii=False))
