"""``{% load commentluv %}{% commentluv_backlink comment %}``: the line under a comment, in
the configured style and format (HTML escaped piece by piece), or nothing."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.safestring import SafeString, mark_safe

from commentluv.formatting import format_backlink
from commentluv.integrations.django import conf

register = template.Library()


@register.simple_tag
def commentluv_backlink(comment: Any) -> str | SafeString:
    """Without a stored backlink, "". (``select_related("commentluv_backlink")`` saves a
    query per comment in a list.)"""
    try:
        stored = comment.commentluv_backlink
    except (ObjectDoesNotExist, AttributeError):
        return ""
    settings = conf.settings()
    name = str(getattr(comment, "name", "") or getattr(comment, "user_name", "") or "")
    line = format_backlink(
        stored.post,
        name,
        style=settings.style,
        fmt=settings.format,
        dofollow=conf.dofollow(comment),
    )
    # format_backlink escaped every piece for HTML; text and Markdown are autoescaped.
    return mark_safe(line) if settings.format == "html" else line  # noqa: S308
