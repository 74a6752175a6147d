"""commentluv for Isso: the commenter's latest post appended to a new comment's text.

Isso has no plugin loader, keeps only the JSON fields it knows, and has a fixed comments
table, but it announces every new comment on its signal ``comments.new:before-save`` with
the comment's data, which may still be changed. :func:`attach` subscribes there: the
backlink, in Markdown (Isso renders comments as Markdown), is added to the text from the
comment's ``website``, within a short deadline. A failed lookup leaves the comment as it was;
nothing here ever fails a comment. Serve Isso through a module of your own (any WSGI server,
e.g. ``gunicorn -b 127.0.0.1:8080 isso_wsgi:application``)::

    # isso_wsgi.py
    from isso import config, make_app
    from commentluv import CommentLuv
    from commentluv.cache.sqlite import SQLiteCache
    from commentluv.integrations.isso import attach

    application = make_app(config.load(config.default_file(), "/etc/isso.cfg"))
    attach(application, CommentLuv(cache=SQLiteCache("/var/lib/isso/luv.sqlite3")))

The line becomes part of the comment's text, as if its author had written it (an author who
edits the comment may edit it too).

The post is the latest, unless the commenter chose another in the widget: Isso's client
posts only Isso's own fields, so the widget registers the choice with the comment-form
service (``commentluv.web.choices``), and the subscriber takes it from the cache the two
share, then checks it with ``verify_choice`` (a refused choice gives the latest post). Give
the service and Isso one cache (e.g. ``RedisCache``) and one ``choice_secret``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from isso.ext import Signal

from ..client import CommentLuv
from ..formatting import format_backlink, validate_style
from ..models import Post
from ..web.choices import ChoiceRegistry

__all__ = ["SIGNAL", "BacklinkAppender", "attach", "find_isso"]

logger = logging.getLogger("commentluv")

SIGNAL = "comments.new:before-save"


@dataclass(frozen=True)
class BacklinkAppender:
    """The ``comments.new:before-save`` subscriber: ``(thread, data)`` → ``data["text"]``
    with the backlink of ``data["website"]`` appended as its own paragraph: the post the
    commenter chose in the widget when ``choices`` holds a valid one, else the latest."""

    client: CommentLuv
    style: str = "card"
    timeout: float = 2.0
    choices: ChoiceRegistry | None = None

    def __post_init__(self) -> None:
        validate_style(self.style, "markdown")
        if not self.timeout > 0:
            raise ValueError("timeout must be positive")

    def __call__(self, thread: Any, data: MutableMapping[str, Any]) -> None:
        try:
            # Isso has HTML-escaped the website and author already: undo that, the
            # Markdown formatter escapes for what the text will be rendered as.
            website = html.unescape(str(data.get("website") or "")).strip()
            if not website:
                return
            post = self._chosen(website) or self._latest(website)
            if post is None:
                return
            name = html.unescape(str(data.get("author") or ""))
            line = format_backlink(post, name, style=self.style, fmt="markdown")
            data["text"] = f"{str(data.get('text') or '').rstrip()}\n\n{line}"
        except Exception:
            logger.exception("adding a backlink failed; the comment goes on without")

    def _chosen(self, website: str) -> Post | None:
        choice = self.choices.take(website) if self.choices is not None else None
        if choice is None:
            return None
        check = self.client.verify_choice(website, choice.link, choice.token, timeout=self.timeout)
        if check.post is None:
            logger.info("chosen post refused (%s): %.200s", check.reason, choice.link)
        return check.post

    def _latest(self, website: str) -> Post | None:
        result = self.client.lookup(website, timeout=self.timeout)
        if result.error is not None:
            error = result.error
            logger.info("no backlink for %.200r: %s: %s", website, error.kind, error)
            return None
        return result.posts[0]


def attach(
    app: Any, client: CommentLuv, *, style: str = "card", timeout: float = 2.0
) -> BacklinkAppender:
    """Subscribe a :class:`BacklinkAppender` to the Isso application ``app`` (what
    ``isso.make_app`` returns, or the Isso object itself). Returns the subscriber. A
    ``client`` with a ``choice_secret`` honours the choices registered in its cache."""
    choices = ChoiceRegistry(client.cache) if client.choice_signer is not None else None
    appender = BacklinkAppender(client, style=style, timeout=timeout, choices=choices)
    find_isso(app).signal.subscriptions[SIGNAL].append(appender)
    return appender


def find_isso(app: Any) -> Any:
    """The Isso object inside ``make_app``'s middleware stack (each layer keeps the next in
    ``app``, werkzeug's local manager in its closure). Raises ValueError if there is none."""
    seen: set[int] = set()
    layer = app
    while layer is not None and id(layer) not in seen:
        seen.add(id(layer))
        if isinstance(getattr(layer, "signal", None), Signal):
            return layer
        inner = getattr(layer, "app", None)
        if inner is None:
            cells = getattr(layer, "__closure__", None) or ()
            inner = next((cell.cell_contents for cell in cells if _is_app(cell)), None)
        layer = inner
    raise ValueError("no Isso application found in app: pass what isso.make_app returns")


def _is_app(cell: Any) -> bool:
    try:
        contents = cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return callable(contents) and (
        hasattr(contents, "app") or hasattr(contents, "signal") or hasattr(contents, "wsgi_app")
    )
