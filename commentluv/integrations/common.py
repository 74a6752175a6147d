"""What the integrations share, framework-free: the post to show under a new comment (a
checked choice, else the latest), the form fields the widget fills, a choice secret derived
from a framework's own secret key, the widget's script tag, and one call of the comment-form
service from inside a framework's request."""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..models import Post

if TYPE_CHECKING:
    from ..client import CommentLuv

__all__ = [
    "HONEST_REFUSALS",
    "LINK_FIELD",
    "TOKEN_FIELD",
    "Picked",
    "ServiceReply",
    "call_service",
    "derive_secret",
    "pick_post",
    "script_tag",
]

logger = logging.getLogger("commentluv")

# The hidden fields the widget fills in the comment form (its data-link-field and
# data-token-field default to these): the chosen post's link and its signed token.
LINK_FIELD = "commentluv_link"
TOKEN_FIELD = "commentluv_token"  # noqa: S105 (a field's name, not a password)

# Refusals of a genuine token that an honest commenter can earn (the page was left open, the
# post has left the feed since): they still get their latest post. Any other refusal, and
# any refused choice without a token (the widget always sends one), gets nothing.
HONEST_REFUSALS = frozenset({"expired", "not_recent"})


@dataclass(frozen=True)
class Picked:
    """The post to show under a comment, and how it was chosen: ``"chosen"`` by the commenter
    (checked against their feed) or their ``"latest"``."""

    post: Post
    how: Literal["latest", "chosen"]


def pick_post(
    client: CommentLuv,
    site_url: str | None,
    link: str | None = None,
    token: str | None = None,
    *,
    timeout: float = 2.0,
) -> Picked | None:
    """The post for a new comment by the owner of ``site_url``, or None; never raises.

    A ``link`` chosen in the form is checked with :meth:`CommentLuv.verify_choice` (hidden
    fields are never trusted); a forged choice gets nothing. Without a choice, or after an
    honest refusal (see :data:`HONEST_REFUSALS`), the latest post: from the cache, else
    fetched. All within ``timeout`` seconds; why a comment gets no post is logged at INFO.
    """
    if not site_url:
        return None
    started = time.monotonic()
    try:
        if link:
            check = client.verify_choice(site_url, link, token or None, timeout=timeout)
            if check.post is not None:
                return Picked(check.post, "chosen")
            logger.info("chosen post refused (%s): %.200s", check.reason, link)
            if not token or check.reason not in HONEST_REFUSALS:
                return None
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            post = client.cached_latest(site_url)
            return Picked(post, "latest") if post is not None else None
        result = client.lookup(site_url, timeout=remaining)
    except Exception:
        # A bug (or a misconfigured client) must not cost the commenter their comment.
        logger.exception("choosing a post for %.200r failed", site_url)
        return None
    if result.error is not None:
        error = result.error
        logger.info("no backlink for %.200r: %s: %s", site_url, error.kind, error)
        return None
    return Picked(result.posts[0], "latest")


def derive_secret(secret_key: str | bytes, salt: str) -> bytes:
    """A choice secret of its own from a framework's secret key: tokens signed with it say
    nothing about the key, and it changes when the key does."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, f"commentluv choice secret: {salt}".encode(), hashlib.sha256).digest()


def script_tag(endpoint: str, *, url_field: str = "url", name_field: str = "author") -> str:
    """The widget's ``<script>`` tag for the service mounted at ``endpoint``."""
    base = endpoint.rstrip("/")
    attributes = {
        "src": f"{base}/commentluv.js",
        "data-endpoint": base,
        "data-url-field": url_field,
        "data-name-field": name_field,
    }
    pairs = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    return f"<script {pairs} defer></script>"


@dataclass(frozen=True)
class ServiceReply:
    """The comment-form service's answer to one request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def call_service(
    app: Callable[..., Iterable[bytes]], environ: Mapping[str, Any], path: str
) -> ServiceReply:
    """Call the service (any WSGI application) for a framework's request whose WSGI
    ``environ`` is given, as if ``path`` (``/recent``, ...) had been asked of it directly."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started[:] = [status, headers]

    body = b"".join(app({**environ, "PATH_INFO": path, "SCRIPT_NAME": ""}, start_response))
    status, headers = started
    return ServiceReply(int(status.split()[0]), tuple(headers), body)
