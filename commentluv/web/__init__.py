"""The comment form's live "choose your post" widget and its service.

    from commentluv import CommentLuv
    from commentluv.web import make_app

    luv = CommentLuv(choice_secret=SECRET, cache=...)
    application = make_app(luv, allowed_origins=["https://blog.example"])  # any WSGI server

``commentluv serve`` runs it on waitress (``pip install 'commentluv[web]'``). The save side
checks the chosen post with :meth:`CommentLuv.verify_choice`.
"""

from __future__ import annotations

from .app import DEFAULT_RATE_LIMIT, STATUS_BY_KIND, CommentFormApp, make_app
from .ratelimit import RateLimit

__all__ = ["DEFAULT_RATE_LIMIT", "STATUS_BY_KIND", "CommentFormApp", "RateLimit", "make_app"]
