"""commentluv: a commenter's site URL in, their latest blog post and a backlink out.

    >>> import commentluv
    >>> commentluv.backlink("Jaden Daniels", "jadendaniels.example")   # doctest: +SKIP
    ".-= Jaden Daniels's last blog ..Addictions…You Can Overcome Them =-."

:class:`CommentLuv` is the client (share one per process), :class:`AsyncCommentLuv` its
asyncio twin (:mod:`commentluv.aio`); the module-level
:func:`latest`, :func:`recent` and :func:`backlink` use a default client, which
:func:`configure` or :func:`set_default_client` replace. Options live in
:mod:`commentluv.config`, errors in :mod:`commentluv.errors`, caches in
:mod:`commentluv.cache`. The HTTP stack is imported on first use, so importing the package
(and ``commentluv --help``) stays fast.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ._net.deadline import Deadline
from ._net.transport import MockResponse, MockTransport, Request, Transport, TransportResponse
from ._shared.printable import PrintableRecords
from ._version import __version__
from .cache import AddCache, Cache, MemoryCache, NullCache
from .client import CommentLuv
from .config import AddressPolicy, Freshness, Limits, Timeouts
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
    LookupCancelled,
    NoPosts,
    NotFound,
    ResponseTooLarge,
    TooManyRedirects,
)
from .formatting import STYLES, Format, format_backlink, validate_style, validate_template
from .models import ChoiceCheck, ChoiceReason, LookupResult, Post

if TYPE_CHECKING:
    from ._net.http import HTTPTransport
    from .aio import AsyncCommentLuv

__all__ = [
    "STYLES",
    "AddCache",
    "AddressPolicy",
    "AsyncCommentLuv",
    "BlockedURL",
    "Cache",
    "ChallengePage",
    "ChoiceCheck",
    "ChoiceReason",
    "CommentLuv",
    "CommentLuvError",
    "Deadline",
    "FeedError",
    "FeedNotFound",
    "FetchError",
    "FetchTimeout",
    "Format",
    "Freshness",
    "HTTPStatusError",
    "HTTPTransport",
    "InvalidURL",
    "Limits",
    "LookupCancelled",
    "LookupResult",
    "MemoryCache",
    "MockResponse",
    "MockTransport",
    "NoPosts",
    "NotFound",
    "NullCache",
    "Post",
    "Request",
    "ResponseTooLarge",
    "Timeouts",
    "TooManyRedirects",
    "Transport",
    "TransportResponse",
    "__version__",
    "backlink",
    "configure",
    "default_client",
    "format_backlink",
    "latest",
    "recent",
    "set_default_client",
    "validate_style",
    "validate_template",
]

logging.getLogger("commentluv").addHandler(logging.NullHandler())
# Strangers' strings (links, URLs, servers' words) are in the records: one printable line each.
logging.getLogger("commentluv").addFilter(PrintableRecords())

# The one piece of module state: the client behind the module-level functions.
_default_client: CommentLuv | None = None
_default_lock = threading.Lock()


def default_client() -> CommentLuv:
    """The shared client behind the module-level functions, built on first use."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = CommentLuv()
        return _default_client


def set_default_client(client: CommentLuv) -> CommentLuv | None:
    """Make ``client`` the one behind :func:`latest`, :func:`recent` and :func:`backlink`.

    Returns the previous default client (not closed: it may be shared), or None.
    """
    global _default_client
    with _default_lock:
        previous, _default_client = _default_client, client
    return previous


def configure(**options: Any) -> CommentLuv:
    """Build the default client with ``options`` (any :class:`CommentLuv` keyword), e.g.
    ``commentluv.configure(timeout=2.5, cache=SQLiteCache("luv.sqlite3"))``; the previous
    default client is closed. Returns the new client."""
    client = CommentLuv(**options)
    previous = set_default_client(client)
    if previous is not None:
        previous.close()
    return client


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
    # The real transport imports requests, the async client asyncio: only when asked for.
    if name == "HTTPTransport":
        from ._net.http import HTTPTransport

        return HTTPTransport
    if name == "AsyncCommentLuv":
        from .aio import AsyncCommentLuv

        return AsyncCommentLuv
    raise AttributeError(f"module 'commentluv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
