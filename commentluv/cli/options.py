"""What every command that looks sites up shares: its options, the client and cache they
build, logging to stderr, and how a stranger's URL is printed."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..cache import Cache
    from ..client import CommentLuv

__all__ = [
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "EXIT_USAGE",
    "add_lookup_options",
    "build_client",
    "close_cache",
    "default_cache_path",
    "existing_file",
    "logging_to_stderr",
    "non_negative_float",
    "open_cache",
    "positive_float",
    "positive_int",
    "shown_url",
]

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


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
    parser.add_argument(
        "--ca-bundle",
        type=existing_file,
        metavar="PATH",
        help="PEM file of the certificate authorities to trust for https (default:"
        " $SSL_CERT_FILE/$SSL_CERT_DIR when set, else the system's store with the truststore"
        " extra, else certifi's)",
    )
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


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return path


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


def build_client(
    args: argparse.Namespace, cache: Cache | None = None, **options: Any
) -> tuple[CommentLuv, Cache]:
    """A client for the lookup options in ``args``, and the cache it uses (close both):
    ``cache`` if given, else the one the options name."""
    from ..client import DEFAULT_USER_AGENT, CommentLuv

    cache = cache if cache is not None else open_cache(args)
    client = CommentLuv(
        timeout=args.timeout,
        allow_private_hosts=args.allow_private_hosts,
        allowed_networks=args.allow_network,
        user_agent=args.user_agent or DEFAULT_USER_AGENT,
        ca_bundle=args.ca_bundle,
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
    from ..cache import NullCache

    if args.no_cache:
        return NullCache()
    from ..cache.sqlite import SQLiteCache

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
