"""Registered choices: the post a commenter chose, for comment systems whose forms post only
their own fields.

Isso's client posts JSON and Isso keeps only the keys it knows, so the widget's hidden fields
never reach the server. There, the widget registers the choice with the service instead
(``POST /choose`` with the site, the chosen link and the token the service issued for them),
the service keeps it in the client's cache, keyed by the site, for a few minutes, and the
comment system's subscriber takes it when that site's comment arrives, then checks it again
with :meth:`~commentluv.CommentLuv.verify_choice`.

Trust: registering needs a token this service signed for that site and that link, so a
stranger who knows someone's site URL can, at most, pick which of that site's own recent
posts its next comment shows (the token is public: /recent hands one to anyone), and the
commenter's widget replaces that pick when it shows its line; they cannot register a link
the site's feed did not offer, another site's link, or anything for a site the service never
looked up. A choice is used once, and is forgotten after ``ttl``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._shared.urls import normalize_site_url
from ..errors import CommentLuvError
from ..models import ChoiceReason

if TYPE_CHECKING:
    from ..cache import Cache
    from ..tokens import ChoiceSigner

__all__ = ["DEFAULT_CHOICE_TTL", "Choice", "ChoiceRegistry"]

DEFAULT_CHOICE_TTL = 300.0
_KEY_PREFIX = "commentluv:choice:"


@dataclass(frozen=True)
class Choice:
    """A registered choice: the chosen link and the token the service issued with it."""

    link: str
    token: str


class ChoiceRegistry:
    """Choices kept in a cache (share it, e.g. Redis, between the service and the comment
    system), one per site, for ``ttl`` seconds. The service checks a choice's token before
    it registers it (:meth:`register`); the subscriber checks the post when it takes it."""

    def __init__(self, cache: Cache, ttl: float = DEFAULT_CHOICE_TTL) -> None:
        if not ttl > 0:
            raise ValueError("ttl must be positive")
        self._cache = cache
        self._ttl = ttl

    def register(
        self, signer: ChoiceSigner, site_url: str, choice: Choice, *, now: float
    ) -> ChoiceReason:
        """Keep ``choice`` for ``site_url`` when its token is ``signer``'s, unexpired, for
        that site and that link (``"ok"``); otherwise the reason it is not, and nothing is
        kept. No network: the post itself is checked when the comment arrives."""
        site = _site(site_url)
        if site is None:
            return "other_site"
        reason = signer.check(choice.token, site, choice.link, now=now)
        if reason == "ok":
            self._cache.set(_key(site), {"link": choice.link, "token": choice.token}, self._ttl)
        return reason

    def take(self, site_url: str) -> Choice | None:
        """The choice registered for ``site_url``, forgotten as it is taken (each is used
        once); None when there is none."""
        site = _site(site_url)
        stored = self._cache.get(_key(site)) if site is not None else None
        if site is None or not isinstance(stored, dict):
            return None
        self._cache.delete(_key(site))
        link, token = stored.get("link"), stored.get("token")
        if not (isinstance(link, str) and isinstance(token, str)):
            return None
        return Choice(link, token)


def _site(url: str) -> str | None:
    try:
        return normalize_site_url(url)
    except CommentLuvError:
        return None


def _key(site: str) -> str:
    return _KEY_PREFIX + hashlib.sha256(site.encode("utf-8")).hexdigest()[:32]
