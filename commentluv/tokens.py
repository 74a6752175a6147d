"""Choice tokens (pure): a signed, expiring record of the posts offered to a commenter.

The comment-form service issues one with the recent posts of a site; the form posts it back
with the chosen link, and :meth:`CommentLuv.verify_choice` checks that this server offered
that link for that site, not long ago. The token carries digests, not the links, so it stays
small (146 characters for ten posts)::

    version (1) | expires (4, Unix seconds) | site digest (8) | link digests (8 each) | MAC (16)

in URL-safe base64 without padding. The MAC is HMAC-SHA256, cut to 128 bits, under a key
derived from the secret (so the secret itself signs nothing else by accident).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Sequence

from .models import ChoiceReason

__all__ = ["MAX_CHOICES", "MIN_SECRET_BYTES", "ChoiceSigner"]

MAX_CHOICES = 10
MIN_SECRET_BYTES = 16

_VERSION = 1
_HEADER = struct.Struct(">BI")
_DIGEST_BYTES = 8
_MAC_BYTES = 16
_FIXED_BYTES = _HEADER.size + _DIGEST_BYTES + _MAC_BYTES
_MAX_TOKEN_CHARS = 4 * (_FIXED_BYTES + MAX_CHOICES * _DIGEST_BYTES) // 3 + 4
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
_KEY_LABEL = b"commentluv choice token v1"


def _digest(text: str) -> bytes:
    # surrogatepass: a form field may carry lone surrogates; they must not raise here.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:_DIGEST_BYTES]


class ChoiceSigner:
    """Issues and checks choice tokens under one secret (str or bytes, 16 bytes or more)."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the choice secret must be at least {MIN_SECRET_BYTES} bytes"
                " (e.g. secrets.token_urlsafe(32))"
            )
        self._key = hmac.new(raw, _KEY_LABEL, hashlib.sha256).digest()

    def same_key(self, other: ChoiceSigner) -> bool:
        """Whether ``other`` signs with the same secret."""
        return hmac.compare_digest(self._key, other._key)

    def issue(self, site: str, links: Sequence[str], expires: int) -> str:
        """A token saying ``links`` (at most :data:`MAX_CHOICES`) were offered for the
        normalised ``site`` URL, valid until the Unix time ``expires``."""
        if not 1 <= len(links) <= MAX_CHOICES:
            raise ValueError(f"a choice offers 1 to {MAX_CHOICES} links, not {len(links)}")
        body = _HEADER.pack(_VERSION, expires) + _digest(site) + b"".join(map(_digest, links))
        raw = body + self._mac(body)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def check(self, token: str, site: str, link: str, *, now: float) -> ChoiceReason:
        """``"ok"`` when ``token`` is ours, unexpired, for ``site`` and offered ``link``;
        otherwise the first reason it is not (forged, tampered, expired, other_site,
        not_offered). Digests are compared in constant time."""
        raw = _decode(token)
        if raw is None:
            return "forged"
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return "tampered"
        _version, expires = _HEADER.unpack_from(body)
        if now >= expires:
            return "expired"
        offset = _HEADER.size + _DIGEST_BYTES
        if not hmac.compare_digest(body[_HEADER.size : offset], _digest(site)):
            return "other_site"
        wanted = _digest(link)
        offered = [body[at : at + _DIGEST_BYTES] for at in range(offset, len(body), _DIGEST_BYTES)]
        # Every digest is compared, so the time taken does not say which one matched.
        matches = [hmac.compare_digest(digest, wanted) for digest in offered]
        return "ok" if any(matches) else "not_offered"

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _decode(token: object) -> bytes | None:
    """The token's bytes when it is shaped like one of ours (version, length), else None."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        return None
    if not _TOKEN_RE.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    links, extra = divmod(len(raw) - _FIXED_BYTES, _DIGEST_BYTES)
    if extra or not 1 <= links <= MAX_CHOICES or raw[0] != _VERSION:
        return None
    return raw
