"""An adapter for Django's cache framework: commentluv entries in ``caches[alias]``.

    CommentLuv(cache=DjangoCache("default"))

Serialisation and expiry are the configured Django backend's own. Its errors (a Redis or
memcached server that is down, a database cache that is locked) are logged and read as misses,
as with the other backends: a broken cache must not break a comment.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any

from ._support import FailSafe

__all__ = ["DjangoCache"]

# Memcached refuses keys over 250 bytes; site URLs may be up to 2,048 characters.
_MAX_KEY = 200


class DjangoCache:
    """commentluv's cache interface over the Django cache named ``alias``."""

    def __init__(self, alias: str = "default", *, retry_after: float = 5.0) -> None:
        self.alias = alias
        # Imported at run time, untyped: Django is an optional dependency without type hints.
        self._caches: Any = importlib.import_module("django.core.cache").caches
        # Each Django backend raises its own client library's errors; none of them may
        # escape into a comment handler.
        self._safe = FailSafe(f"Django ({alias})", (Exception,), retry_after=retry_after)

    def get(self, key: str) -> Any | None:
        return self._safe.run(lambda: self._backend().get(_short(key)), None)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._safe.run(lambda: self._backend().set(_short(key), value, timeout=ttl), None)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return self._safe.run(
            lambda: bool(self._backend().add(_short(key), value, timeout=ttl)), True
        )

    def delete(self, key: str) -> None:
        self._safe.run(lambda: self._backend().delete(_short(key)), None)

    def _backend(self) -> Any:
        # Looked up per call: Django keeps one backend connection per thread.
        return self._caches[self.alias]


def _short(key: str) -> str:
    if len(key) <= _MAX_KEY:
        return key
    return "commentluv:sha256:" + hashlib.sha256(key.encode()).hexdigest()
