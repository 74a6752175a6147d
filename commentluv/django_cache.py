"""An adapter for Django's cache framework: commentluv entries in ``caches[alias]``.

    CommentLuv(cache=DjangoCache("default"))

Serialisation, expiry and errors are the configured Django backend's own.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any

__all__ = ["DjangoCache"]

# Memcached refuses keys over 250 bytes; site URLs may be up to 2,048 characters.
_MAX_KEY = 200


class DjangoCache:
    """commentluv's cache interface over the Django cache named ``alias``."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        # Imported at run time, untyped: Django is an optional dependency without type hints.
        self._caches: Any = importlib.import_module("django.core.cache").caches

    def get(self, key: str) -> Any | None:
        return self._backend().get(_short(key))

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._backend().set(_short(key), value, timeout=ttl)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(self._backend().add(_short(key), value, timeout=ttl))

    def delete(self, key: str) -> None:
        self._backend().delete(_short(key))

    def _backend(self) -> Any:
        # Looked up per call: Django keeps one backend connection per thread.
        return self._caches[self.alias]


def _short(key: str) -> str:
    if len(key) <= _MAX_KEY:
        return key
    return "commentluv:sha256:" + hashlib.sha256(key.encode()).hexdigest()
