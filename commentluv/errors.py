"""The exceptions commentluv raises.

Every error is a :class:`CommentLuvError` and carries a stable ``kind`` string for machines
(the CLI's ``--json`` output and the web service use it) next to a one-line human message.
Each class has exactly one kind::

    CommentLuvError                      kind
    ├── InvalidURL (also ValueError)     invalid_url   not an http(s) URL commentluv can fetch:
    │                                                  other scheme, credentials, malformed
    ├── BlockedURL                       blocked       refused by the address policy (private
    │                                                  or loopback address, port, internal name)
    ├── FetchError                       unreachable   DNS or connection failure
    │   ├── FetchTimeout (TimeoutError)  timeout       the lookup's deadline passed
    │   ├── ResponseTooLarge             too_large     a body went over the byte cap
    │   └── TooManyRedirects             redirect_loop a redirect loop, or too many hops
    ├── HTTPStatusError                  http_error    an error status (``status`` attribute)
    │   ├── NotFound                     not_found     404 or 410
    │   └── ChallengePage                challenge     an anti-bot challenge page answered
    ├── FeedNotFound                     no_feed       the site answered; no feed was found
    ├── FeedError                        bad_feed      a feed was found but is unusable
    │   └── NoPosts                      no_posts      the feed has no usable entries
    └── LookupCancelled                  cancelled     the lookup was cut off by its caller
                                                       (never cached: says nothing of the site)

:func:`error_from_dict` rebuilds an error from :meth:`CommentLuvError.to_dict` (cached
failures are stored that way); its kind→class table is built from the classes themselves.
"""

from __future__ import annotations

from typing import Any, ClassVar

# A reason phrase or a Location header is the server's: a message must not drive a terminal.
from ._shared.printable import printable

__all__ = [
    "BlockedURL",
    "ChallengePage",
    "CommentLuvError",
    "FeedError",
    "FeedNotFound",
    "FetchError",
    "FetchTimeout",
    "HTTPStatusError",
    "InvalidURL",
    "LookupCancelled",
    "NoPosts",
    "NotFound",
    "ResponseTooLarge",
    "TooManyRedirects",
    "error_from_dict",
    "printable",
]


class CommentLuvError(Exception):
    """Root of every error raised by commentluv.

    The message is one printable line of at most 300 characters whatever went into it
    (servers' reason phrases and redirect targets do).
    """

    kind: ClassVar[str] = "error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        message = printable(message)
        super().__init__(message)
        self.message = message
        self.url = url

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., "message": ...}`` (plus ``status`` for HTTP errors), JSON-ready."""
        return {"kind": self.kind, "message": self.message}

    def __str__(self) -> str:
        return f"{self.message} ({printable(self.url)})" if self.url else self.message


class InvalidURL(CommentLuvError, ValueError):
    """Not an http(s) URL commentluv can fetch: another scheme, credentials, malformed."""

    kind = "invalid_url"


class BlockedURL(CommentLuvError):
    """The target is refused by the address policy (address, port or internal name)."""

    kind = "blocked"


class FetchError(CommentLuvError):
    """The site could not be fetched: DNS or connection failure."""

    kind = "unreachable"


class FetchTimeout(FetchError, TimeoutError):
    """The lookup's total deadline passed."""

    kind = "timeout"


class ResponseTooLarge(FetchError):
    """A page or feed is larger than the configured byte cap."""

    kind = "too_large"


class TooManyRedirects(FetchError):
    """A redirect loop, or more redirect hops than allowed."""

    kind = "redirect_loop"


class HTTPStatusError(CommentLuvError):
    """The server answered with an error status (``status``)."""

    kind = "http_error"

    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status

    @staticmethod
    def for_status(message: str, *, url: str | None = None, status: int) -> HTTPStatusError:
        """The class that fits ``status``: :class:`NotFound` for 404 and 410."""
        cls = NotFound if status in (404, 410) else HTTPStatusError
        return cls(message, url=url, status=status)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "status": self.status}


class NotFound(HTTPStatusError):
    """The page or feed is gone: 404 or 410."""

    kind = "not_found"


class ChallengePage(HTTPStatusError):
    """An anti-bot challenge page answered instead of the site."""

    kind = "challenge"


class FeedNotFound(CommentLuvError):
    """The site answered but no feed could be discovered."""

    kind = "no_feed"


class FeedError(CommentLuvError):
    """A feed was found but cannot be used (malformed beyond recovery)."""

    kind = "bad_feed"


class NoPosts(FeedError):
    """The feed parsed but holds no usable entries."""

    kind = "no_posts"


class LookupCancelled(CommentLuvError):
    """The lookup was cut off by :meth:`~commentluv.CommentLuv.cancel_lookups` (a backfill
    interrupted with Ctrl-C): it says nothing about the site, so it is never cached."""

    kind = "cancelled"


def _classes(root: type[CommentLuvError]) -> list[type[CommentLuvError]]:
    found = [root]
    for subclass in root.__subclasses__():
        found.extend(_classes(subclass))
    return found


_CLASS_BY_KIND: dict[str, type[CommentLuvError]] = {
    cls.kind: cls for cls in _classes(CommentLuvError)
}


def error_from_dict(data: dict[str, Any], *, url: str | None = None) -> CommentLuvError:
    """Rebuild an error from :meth:`CommentLuvError.to_dict` (used for cached failures).

    An unknown kind (written by another version) becomes a plain :class:`CommentLuvError`.
    """
    cls = _CLASS_BY_KIND.get(str(data.get("kind", "")), CommentLuvError)
    message = str(data.get("message", ""))
    if issubclass(cls, HTTPStatusError):
        status = data.get("status")
        return cls(message, url=url, status=status if isinstance(status, int) else 0)
    return cls(message, url=url)
