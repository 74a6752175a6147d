"""The exceptions commentluv raises.

Every error is a :class:`CommentLuvError` and carries a stable ``kind`` string for machines
(the CLI's ``--json`` output uses it) next to a one-line human message::

    CommentLuvError                      kind
    ├── InvalidURL (also ValueError)     invalid_url   not a fetchable http(s) URL
    ├── BlockedURL                       blocked       refused by the safety rules (private or
    │                                                  loopback address, forbidden scheme or port)
    ├── FetchError                       unreachable   DNS or connection failure
    │   ├── FetchTimeout (TimeoutError)  timeout       the lookup's deadline passed
    │   ├── ResponseTooLarge             too_large     a body went over the byte cap
    │   ├── TooManyRedirects             redirect_loop a redirect loop, or too many hops
    │   └── HTTPStatusError              http_error    an error status (``status`` attribute);
    │       │                                          not_found for 404 and 410
    │       └── ChallengePage            blocked       anti-bot challenge (403/503 + cf-mitigated)
    ├── FeedNotFound                     no_feed       the site answered; no feed was found
    └── FeedError                        bad_feed      a feed was found but is unusable
        └── NoPosts                      no_posts      the feed has no usable entries
"""

from __future__ import annotations

from typing import Any

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
    "NoPosts",
    "ResponseTooLarge",
    "TooManyRedirects",
    "error_from_dict",
]


class CommentLuvError(Exception):
    """Root of every error raised by commentluv."""

    kind: str = "error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., "message": ...}`` (plus ``status`` for HTTP errors), JSON-ready."""
        return {"kind": self.kind, "message": self.message}

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class InvalidURL(CommentLuvError, ValueError):
    """The input is not a fetchable http(s) URL."""

    kind = "invalid_url"


class BlockedURL(CommentLuvError):
    """The target is refused by the safety rules (address, scheme or port)."""

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


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.kind = "not_found" if status in (404, 410) else "http_error"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "status": self.status}


class ChallengePage(HTTPStatusError):
    """An anti-bot challenge page answered instead of the site."""

    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url, status=status)
        self.kind = "blocked"


class FeedNotFound(CommentLuvError):
    """The site answered but no feed could be discovered."""

    kind = "no_feed"


class FeedError(CommentLuvError):
    """A feed was found but cannot be used (malformed beyond recovery)."""

    kind = "bad_feed"


class NoPosts(FeedError):
    """The feed parsed but holds no usable entries."""

    kind = "no_posts"


def error_from_dict(data: dict[str, Any], *, url: str | None = None) -> CommentLuvError:
    """Rebuild an error from :meth:`CommentLuvError.to_dict` (used for cached failures)."""
    kind = str(data.get("kind", ""))
    message = str(data.get("message", ""))
    status = data.get("status")
    if kind in ("not_found", "http_error") and isinstance(status, int):
        return HTTPStatusError(message, url=url, status=status)
    if kind == "blocked" and isinstance(status, int):
        return ChallengePage(message, url=url, status=status)
    cls = _CLASS_BY_KIND.get(kind, CommentLuvError)
    return cls(message, url=url)


_CLASS_BY_KIND: dict[str, type[CommentLuvError]] = {
    cls.kind: cls
    for cls in (
        InvalidURL,
        BlockedURL,
        FetchError,
        FetchTimeout,
        ResponseTooLarge,
        TooManyRedirects,
        FeedNotFound,
        FeedError,
        NoPosts,
    )
}
