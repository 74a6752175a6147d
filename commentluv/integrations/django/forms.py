"""The widget's two hidden fields for a comment form, and its script tag rendered with them.

    from django_comments.forms import CommentForm
    class MyCommentForm(CommentLuvFormMixin, CommentForm): ...

The script is rendered after the token field, so ``{% render_comment_form %}`` (or any
template that renders the form's hidden fields) brings the widget with no template change.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django_comments.forms import CommentForm

from ..common import LINK_FIELD, TOKEN_FIELD, script_tag

__all__ = ["CommentLuvCommentForm", "CommentLuvFormMixin", "ScriptedHiddenInput"]

logger = logging.getLogger("commentluv")


class ScriptedHiddenInput(forms.HiddenInput):
    """A hidden input followed by the widget's script tag (when the service's URLs are
    included: ``include("commentluv.integrations.django.urls")``)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        field = super().render(name, value, attrs, renderer)
        try:
            endpoint = reverse("commentluv:root")
        except NoReverseMatch:
            logger.warning("the service's URLs are not included; no widget")
            return field
        # script_tag escapes every attribute value.
        return mark_safe(field + script_tag(endpoint, url_field="url", name_field="name"))  # noqa: S308


# Built with type(): the fields are named by the one home of their names (Django reads a
# form's fields from its class attributes, which a class statement can only spell out).
CommentLuvFormMixin: Any = type(
    "CommentLuvFormMixin",
    (forms.Form,),
    {
        "__module__": __name__,
        "__doc__": """The chosen link and the service's token (the names the widget and the
        receivers use: ``common.LINK_FIELD``, ``common.TOKEN_FIELD``). Both are only hints: the
        receivers check them with ``verify_choice`` before anything is stored.""",
        LINK_FIELD: forms.CharField(
            required=False, max_length=2048, widget=forms.HiddenInput, label=""
        ),
        TOKEN_FIELD: forms.CharField(
            required=False, max_length=512, widget=ScriptedHiddenInput, label=""
        ),
    },
)


class CommentLuvCommentForm(CommentLuvFormMixin, CommentForm):
    """django-contrib-comments' form with the widget (what ``get_form()`` returns)."""
