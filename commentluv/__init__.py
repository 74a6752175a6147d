"""commentluv: a commenter's site URL in, their latest blog post and a backlink out.

    >>> import commentluv
    >>> commentluv.backlink("Jaden Daniels", "jadendaniels.example")   # doctest: +SKIP
    ".-= Jaden Daniels's last blog ..Addictions…You Can Overcome Them =-."

The HTTP stack is imported on first use, so importing the package (and ``commentluv --help``)
stays fast.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .cache import AddCache, Cache, MemoryCache, NullCache
from .errors import (
    BlockedURL,
    ChallengePage,
    CommentLuvError,
    FeedError,
    FeedNotFound,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    NoPosts,
    ResponseTooLarge,
    TooManyRedirects,
)
from .formatting import STYLES, format_backlink
from .models import Post

if TYPE_CHECKING:
    from .client import CommentLuv, WarmResult
    from .formatting import Format

__all__ = [
    "STYLES",
    "AddCache",
    "BlockedURL",
    "Cache",
    "ChallengePage",
    "CommentLuv",
    "CommentLuvError",
    "FeedError",
    "FeedNotFound",
    "FetchError",
    "FetchTimeout",
    "HTTPStatusError",
    "InvalidURL",
    "MemoryCache",
    "NoPosts",
    "NullCache",
    "Post",
    "ResponseTooLarge",
    "TooManyRedirects",
    "WarmResult",
    "__version__",
    "backlink",
    "default_client",
    "format_backlink",
    "latest",
    "recent",
]

logging.getLogger("commentluv").addHandler(logging.NullHandler())

_default_client: CommentLuv | None = None
_default_lock = threading.Lock()


def default_client() -> CommentLuv:
    """The shared client behind the module-level functions, built on first use."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            from .client import CommentLuv

            _default_client = CommentLuv()
        return _default_client


def latest(url: str, *, timeout: float | None = None) -> Post:
    """The newest post of the site at ``url`` (see :meth:`CommentLuv.latest`)."""
    return default_client().latest(url, timeout=timeout)


def recent(url: str, limit: int = 10, *, timeout: float | None = None) -> list[Post]:
    """Up to ``limit`` posts of the site, newest first (see :meth:`CommentLuv.recent`)."""
    return default_client().recent(url, limit, timeout=timeout)


def backlink(
    name: str,
    url: str,
    *,
    style: str = "card",
    fmt: Format = "text",
    dofollow: bool = False,
    timeout: float | None = None,
) -> str | None:
    """The backlink line, or None (see :meth:`CommentLuv.backlink`)."""
    return default_client().backlink(
        name, url, style=style, fmt=fmt, dofollow=dofollow, timeout=timeout
    )


def __getattr__(name: str) -> Any:
    # The client lives with the HTTP stack; import it only when asked for.
    if name in ("CommentLuv", "WarmResult"):
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'commentluv' has no attribute {name!r}")
