"""The ``commentluv`` command: print the backlink of each site URL given, or run a subcommand.

    commentluv [options] URL [URL ...]     look sites up (the default command)
    commentluv lookup [options] URL ...    the same, by name
    commentluv COMMAND --help              a subcommand's options

A URL that is spelled like a subcommand is looked up when written with a scheme or after
``--``. Kept light at import time (``--help`` must be instant): the HTTP and parsing stack is
imported only once there is something to look up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._version import __version__
from .errors import CommentLuvError
from .formatting import STYLES, format_backlink, validate_style

if TYPE_CHECKING:
    from .cache import Cache
    from .client import CommentLuv
    from .models import LookupResult, Post

__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "default_cache_path", "main"]

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Subcommand:
    """A named command: its one-line help, and how to run it (argv after the name)."""

    help: str
    run: Callable[[list[str], TextIO], int]


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run the command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = SUBCOMMANDS.get(args[0]) if args else None
    if command is not None:
        return command.run(args[1:], stdin or sys.stdin)
    return run_lookup(args, stdin or sys.stdin)


# Shared by every command that looks sites up.


def add_lookup_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure lookups: timeout, address policy, cache, logging."""
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=10.0,
        metavar="SECONDS",
        help="total time for each lookup (default 10)",
    )
    parser.add_argument(
        "--allow-private-hosts",
        action="store_true",
        help="allow loopback and private addresses on any port (testing, intranets);"
        " never link-local or cloud metadata addresses",
    )
    parser.add_argument(
        "--allow-network",
        action="append",
        default=[],
        type=network,
        metavar="CIDR",
        help="allow this network (e.g. 10.20.0.0/16; repeatable): an intranet's own hosts",
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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def network(text: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_network(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a network such as 10.0.0.0/8, got {text!r}"
        ) from None
    return text


def positive_float(text: str) -> float:
    value = _seconds(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _seconds(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None


@contextmanager
def logging_to_stderr(verbosity: int) -> Iterator[None]:
    """While a command runs, the library's warnings reach stderr (an unusable cache file,
    say); -v adds INFO (the feed chosen, requests per lookup), -vv DEBUG."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("commentluv: %(levelname)s: %(message)s"))
    logger = logging.getLogger("commentluv")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def build_client(args: argparse.Namespace, **options: Any) -> tuple[CommentLuv, Cache]:
    """A client for the lookup options in ``args``, and the cache it uses (close both)."""
    from .client import DEFAULT_USER_AGENT, CommentLuv

    cache = open_cache(args)
    client = CommentLuv(
        timeout=args.timeout,
        allow_private_hosts=args.allow_private_hosts,
        allowed_networks=args.allow_network,
        user_agent=args.user_agent or DEFAULT_USER_AGENT,
        cache=cache,
        **options,
    )
    return client, cache


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/commentluv/cache.sqlite3``, or under ``~/.cache`` when unset."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative path.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "commentluv" / "cache.sqlite3"


def open_cache(args: argparse.Namespace) -> Cache:
    from .cache import NullCache

    if args.no_cache:
        return NullCache()
    from .cache.sqlite import SQLiteCache

    cache = SQLiteCache(args.cache or default_cache_path())
    if args.cache is not None:
        # A file the user named: say now (a warning) if it cannot be used, not never.
        cache.purge()
    return cache


def close_cache(cache: Cache) -> None:
    close = getattr(cache, "close", None)
    if close is not None:
        close()


def shown_url(url: str) -> str:
    """A stranger's URL made safe to print on one terminal line: cut and escaped."""
    return ascii(url[:200])[1:-1]


# The lookup command.


def _lookup_parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<10} {command.help}" for name, command in SUBCOMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="commentluv",
        usage="commentluv [options] URL [URL ...]\n       commentluv COMMAND [options] ...",
        description="Find the latest blog post of each site and print a CommentLuv backlink.",
        epilog=(
            f"commands:\n{commands}\n\n"
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
    parser.add_argument(
        "--format", dest="fmt", choices=("text", "html", "markdown"), default="text"
    )
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


def run_lookup(argv: list[str], stdin: TextIO) -> int:
    parser = _lookup_parser()
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
            "title": None,
            "link": None,
            "published": None,
            "backlink": None,
            "error": error.to_dict(),
        }
        print(json.dumps(record, ensure_ascii=False))


def _run_serve(argv: list[str], stdin: TextIO) -> int:
    from .web.serve import run_serve  # the service's code (and waitress) only for this command

    return run_serve(argv, stdin)


def _run_backfill(argv: list[str], stdin: TextIO) -> int:
    from .backfill.command import run  # the backfill package loads only for this command

    return run(argv, stdin)


SUBCOMMANDS: dict[str, Subcommand] = {
    "lookup": Subcommand("look sites up and print their backlinks (the default)", run_lookup),
    "serve": Subcommand(
        "serve the comment form's widget and its service (commentluv[web])", _run_serve
    ),
    "backfill": Subcommand(
        "backlinks for an old blog's comments (WXR, CSV, JSON Lines)", _run_backfill
    ),
}
