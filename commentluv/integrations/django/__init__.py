"""commentluv for django-contrib-comments: an installable app.

    INSTALLED_APPS = [..., "django_comments", "commentluv.integrations.django"]
    COMMENTS_APP = "commentluv.integrations.django"   # the form with the widget's fields
    urlpatterns = [..., path("commentluv/", include("commentluv.integrations.django.urls"))]
    # templates: {% load commentluv %}{% commentluv_backlink comment %}

A new comment gets its author's post (their checked choice, else their latest) within
``COMMENTLUV["TIMEOUT"]`` (2 s), stored beside the comment in :class:`~.models.Backlink`.
A lookup failure never blocks or fails a comment. Settings: :mod:`.conf`. Existing comments:
``python manage.py commentluv_backfill``. Projects with a ``COMMENTS_APP`` of their own
mix :class:`~.forms.CommentLuvFormMixin` into their form instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_form"]


def get_form() -> Any:
    """django-contrib-comments' ``COMMENTS_APP`` hook: its form, with the widget's fields."""
    from .forms import CommentLuvCommentForm

    return CommentLuvCommentForm
