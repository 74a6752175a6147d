"""The ``COMMENTLUV`` settings dict, and the one client and service built from it.

    COMMENTLUV = {
        "STYLE": "card",            # a style name or a template (formatting.STYLES)
        "FORMAT": "html",           # html, text or markdown
        "TIMEOUT": 2.0,             # seconds a comment POST may spend on the lookup
        "CACHE": "default",         # a Django cache alias (DjangoCache); None: in memory
        "SECRET": None,             # the choice secret; default: derived from SECRET_KEY
        "DOFOLLOW": "never",        # never, always, registered, or "dotted.path.to.callable"
        "CLIENT_OPTIONS": {},       # more CommentLuv(...) keywords, e.g. {"timeout": 5}
        "ALLOWED_ORIGINS": [],      # make_app(allowed_origins=...)
        "TRUSTED_PROXIES": [],      # make_app(trusted_proxies=...)
    }

Every key is optional; an unknown one is refused. The client and the service are built on
first use and rebuilt when the settings change (``override_settings`` in tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from ...cache import MemoryCache
from ...cache.django import DjangoCache
from ...client import CommentLuv
from ...formatting import Format, as_format, validate_style
from ...web import CommentFormApp, make_app
from ..common import derive_secret

__all__ = ["Settings", "client", "comment_model_label", "dofollow", "service", "settings"]

_DOFOLLOW = ("never", "always", "registered")


@dataclass(frozen=True)
class Settings:
    """The ``COMMENTLUV`` dict, checked."""

    style: str = "card"
    format: Format = "html"
    timeout: float = 2.0
    cache: str | None = "default"
    secret: str | None = None
    dofollow: str = "never"
    client_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Settings:
        names = {name.upper(): name for name in cls.__dataclass_fields__}
        unknown = sorted(set(raw) - set(names))
        if unknown:
            raise ImproperlyConfigured(f"unknown COMMENTLUV settings: {', '.join(unknown)}")
        values = {names[key]: value for key, value in raw.items()}
        try:
            values["format"] = as_format(values.get("format", "html"))
        except ValueError as exc:
            raise ImproperlyConfigured(f"COMMENTLUV FORMAT: {exc}") from None
        for key in ("allowed_origins", "trusted_proxies"):
            values[key] = tuple(values.get(key, ()))
        values["client_options"] = MappingProxyType(dict(values.get("client_options", {})))
        built = cls(**values)
        try:
            validate_style(built.style, built.format)
        except ValueError as exc:
            raise ImproperlyConfigured(f"COMMENTLUV STYLE: {exc}") from None
        if not built.timeout > 0:
            raise ImproperlyConfigured("COMMENTLUV TIMEOUT must be positive")
        if built.dofollow not in _DOFOLLOW:
            try:
                import_string(built.dofollow)
            except ImportError as exc:
                raise ImproperlyConfigured(f"COMMENTLUV DOFOLLOW: {exc}") from None
        return built


class _Built:
    """What is built from the settings, until they change."""

    settings: Settings | None = None
    client: CommentLuv | None = None
    service: CommentFormApp | None = None


_lock = threading.Lock()
_built = _Built()


def settings() -> Settings:
    with _lock:
        if _built.settings is None:
            _built.settings = Settings.from_dict(getattr(django_settings, "COMMENTLUV", {}))
        return _built.settings


def client() -> CommentLuv:
    """The process's client, built from the settings on first use."""
    conf = settings()
    with _lock:
        if _built.client is None:
            secret = conf.secret or derive_secret(django_settings.SECRET_KEY, "django")
            cache = DjangoCache(conf.cache) if conf.cache is not None else MemoryCache()
            _built.client = CommentLuv(
                cache=cache, choice_secret=secret, **dict(conf.client_options)
            )
        return _built.client


def service() -> CommentFormApp:
    """The comment-form service over :func:`client`."""
    luv, conf = client(), settings()
    with _lock:
        if _built.service is None:
            _built.service = make_app(
                luv, allowed_origins=conf.allowed_origins, trusted_proxies=conf.trusted_proxies
            )
        return _built.service


def dofollow(comment: Any) -> bool:
    """Whether ``comment``'s backlink is followed, by the ``DOFOLLOW`` policy."""
    policy = settings().dofollow
    if policy == "never":
        return False
    if policy == "always":
        return True
    if policy == "registered":
        return getattr(comment, "user_id", None) is not None
    decide: Callable[[Any], bool] = import_string(policy)
    return bool(decide(comment))


def comment_model_label() -> str:
    """``app_label.ModelName`` of the project's comment model (``django_comments.get_model()``)."""
    import django_comments

    return str(django_comments.get_model()._meta.label)


def _reset(*, setting: str, **kwargs: Any) -> None:
    global _built
    if setting in ("COMMENTLUV", "SECRET_KEY", "CACHES"):
        with _lock:
            previous, _built = _built, _Built()
        if previous.client is not None:
            previous.client.close()


setting_changed.connect(_reset)
