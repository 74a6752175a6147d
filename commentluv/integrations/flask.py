"""commentluv for Flask: ``CommentLuvExt(app)`` (or ``ext.init_app(app)``).

    app.config["COMMENTLUV_CLIENT_OPTIONS"] = {"cache": SQLiteCache("luv.sqlite3")}
    luv = CommentLuvExt(app)

    @app.post("/comments")
    def save():
        picked = luv.pick()        # the checked choice, else the latest post, or None
        store(..., post=picked.post.to_dict() if picked else None)

    {{ comment.post | commentluv_backlink(comment.name) }}   {# in a template #}
    {{ commentluv_script() }}                                {# the widget, in the form #}

The comment-form service (:func:`commentluv.web.make_app`) is mounted as the blueprint
``commentluv`` at ``COMMENTLUV_URL_PREFIX``. Config keys (all optional):

| key | default | |
| --- | --- | --- |
| ``COMMENTLUV_URL_PREFIX`` | ``"/commentluv"`` | where the service answers |
| ``COMMENTLUV_STYLE`` / ``COMMENTLUV_FORMAT`` | ``"card"`` / ``"html"`` | the filter's line |
| ``COMMENTLUV_TIMEOUT`` | ``2.0`` | seconds :meth:`CommentLuvExt.pick` may take |
| ``COMMENTLUV_SECRET`` | derived from ``SECRET_KEY`` | the choice secret |
| ``COMMENTLUV_CLIENT_OPTIONS`` | ``{}`` | more ``CommentLuv(...)`` keywords |
| ``COMMENTLUV_ALLOWED_ORIGINS`` / ``COMMENTLUV_TRUSTED_PROXIES`` | ``()`` | ``make_app`` options |
| ``COMMENTLUV_URL_FIELD`` / ``COMMENTLUV_NAME_FIELD`` | ``"url"`` / ``"author"`` | form fields |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, url_for
from markupsafe import Markup, escape

from ..client import CommentLuv
from ..formatting import Format, as_format, format_backlink, validate_style
from ..models import Post
from ..web import CommentFormApp, make_app
from .common import (
    LINK_FIELD,
    TOKEN_FIELD,
    Picked,
    call_service,
    derive_secret,
    pick_post,
    script_tag,
)

__all__ = ["CommentLuvExt", "FlaskSettings"]


@dataclass(frozen=True)
class FlaskSettings:
    """The ``COMMENTLUV_*`` config of one app, checked."""

    url_prefix: str = "/commentluv"
    style: str = "card"
    format: Format = "html"
    timeout: float = 2.0
    url_field: str = "url"
    name_field: str = "author"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FlaskSettings:
        try:
            fmt = as_format(config.get("COMMENTLUV_FORMAT", "html"))
        except ValueError as exc:
            raise ValueError(f"COMMENTLUV_FORMAT: {exc}") from None
        built = cls(
            url_prefix=config.get("COMMENTLUV_URL_PREFIX", cls.url_prefix),
            style=config.get("COMMENTLUV_STYLE", cls.style),
            format=fmt,
            timeout=float(config.get("COMMENTLUV_TIMEOUT", cls.timeout)),
            url_field=config.get("COMMENTLUV_URL_FIELD", cls.url_field),
            name_field=config.get("COMMENTLUV_NAME_FIELD", cls.name_field),
        )
        validate_style(built.style, built.format)
        if not built.timeout > 0:
            raise ValueError("COMMENTLUV_TIMEOUT must be positive")
        return built


@dataclass(frozen=True)
class _State:
    settings: FlaskSettings
    client: CommentLuv
    service: CommentFormApp


class CommentLuvExt:
    """The extension. One instance may serve several apps (``init_app`` each); ``client``,
    if given, is shared by them and must have a ``choice_secret``."""

    def __init__(self, app: Flask | None = None, *, client: CommentLuv | None = None) -> None:
        self._client = client
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        config = app.config
        settings = FlaskSettings.from_config(config)
        luv = self._client or _client_for(config)
        if luv.choice_signer is None:
            raise ValueError("CommentLuvExt(client=...) needs CommentLuv(choice_secret=...)")
        service = make_app(
            luv,
            allowed_origins=config.get("COMMENTLUV_ALLOWED_ORIGINS", ()),
            trusted_proxies=config.get("COMMENTLUV_TRUSTED_PROXIES", ()),
        )
        app.extensions["commentluv"] = _State(settings, luv, service)
        blueprint = Blueprint("commentluv", __name__, url_prefix=settings.url_prefix)
        methods = ["GET", "HEAD", "OPTIONS"]
        for rule, endpoint in (("/", "root"), ("/<path:path>", "service")):
            blueprint.add_url_rule(
                rule,
                endpoint,
                _serve,
                methods=methods,
                provide_automatic_options=False,  # the service answers OPTIONS (CORS)
            )
        app.register_blueprint(blueprint)
        app.jinja_env.filters["commentluv_backlink"] = self.render
        app.jinja_env.globals["commentluv_script"] = self.script

    @property
    def client(self) -> CommentLuv:
        """The current app's client."""
        return _state().client

    def pick(self, form: Mapping[str, str] | None = None) -> Picked | None:
        """For the comment being saved (``form`` defaults to ``request.form``): the
        commenter's chosen post if it checks out, else their latest, or None, within
        ``COMMENTLUV_TIMEOUT``. Never raises; why there is none is logged."""
        state = _state()
        fields = request.form if form is None else form
        return pick_post(
            state.client,
            (fields.get(state.settings.url_field) or "").strip(),
            (fields.get(LINK_FIELD) or "").strip(),
            (fields.get(TOKEN_FIELD) or "").strip(),
            timeout=state.settings.timeout,
        )

    def render(
        self, post: Post | Mapping[str, Any] | None, name: str = "", *, dofollow: bool = False
    ) -> Markup:
        """The Jinja filter: a stored post (a :class:`Post` or its ``to_dict()``) → the
        line, escaped piece by piece; "" for None."""
        if post is None:
            return Markup("")
        if not isinstance(post, Post):
            post = Post.from_dict(dict(post))
        settings = _state().settings
        line = format_backlink(
            post, name, style=settings.style, fmt=settings.format, dofollow=dofollow
        )
        # format_backlink escaped every piece for HTML; other formats are plain text here.
        return Markup(line) if settings.format == "html" else escape(line)  # noqa: S704

    def script(self) -> Markup:
        """The Jinja global ``commentluv_script()``: the widget's script tag."""
        settings = _state().settings
        tag = script_tag(
            url_for("commentluv.root"),
            url_field=settings.url_field,
            name_field=settings.name_field,
        )
        return Markup(tag)  # noqa: S704 (script_tag escapes every attribute)


def _client_for(config: Mapping[str, Any]) -> CommentLuv:
    secret = config.get("COMMENTLUV_SECRET")
    if secret is None:
        if not config.get("SECRET_KEY"):
            raise ValueError("CommentLuvExt needs SECRET_KEY or COMMENTLUV_SECRET")
        secret = derive_secret(config["SECRET_KEY"], "flask")
    return CommentLuv(choice_secret=secret, **dict(config.get("COMMENTLUV_CLIENT_OPTIONS", {})))


def _state() -> _State:
    state: _State = current_app.extensions["commentluv"]
    return state


def _serve(path: str = "") -> Response:
    reply = call_service(_state().service, request.environ, "/" + path)
    # A list, not bytes: Flask keeps the service's Content-Length (a HEAD's is the GET's).
    return Response([reply.body], status=reply.status, headers=list(reply.headers))
