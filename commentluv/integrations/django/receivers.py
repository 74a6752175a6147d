"""The comment signals' receivers: pick the post before the comment is saved (within the
deadline), store it once the comment is. Neither ever blocks, fails or discards a comment."""

from __future__ import annotations

import logging
from typing import Any

from ..common import LINK_FIELD, TOKEN_FIELD, pick_post
from . import conf

__all__ = ["LINK_FIELD", "TOKEN_FIELD", "pick_backlink", "store_backlink"]

logger = logging.getLogger("commentluv")

# The widget's hidden fields (commentluv.js: data-link-field, data-token-field).
# Where the picked post waits on the comment between the two signals.
_PICKED = "commentluv_picked"


def pick_backlink(sender: Any, comment: Any, request: Any, **kwargs: Any) -> None:
    """``comment_will_be_posted``: the commenter's checked choice, else their latest post.
    Returns None, never False: a receiver returning False discards the comment."""
    try:
        url = str(getattr(comment, "user_url", "") or "").strip()
        form = request.POST
        picked = pick_post(
            conf.client(),
            url,
            str(form.get(LINK_FIELD, "")).strip(),
            str(form.get(TOKEN_FIELD, "")).strip(),
            timeout=conf.settings().timeout,
        )
        setattr(comment, _PICKED, picked)
    except Exception:
        logger.exception("picking a backlink failed; the comment goes on without")


def store_backlink(sender: Any, comment: Any, request: Any, **kwargs: Any) -> None:
    """``comment_was_posted``: store the picked post beside the saved comment."""
    picked = getattr(comment, _PICKED, None)
    if picked is None:
        return
    from django.db import transaction

    from .models import Backlink

    try:
        # A savepoint: a failure here must not break a request-wide transaction.
        with transaction.atomic():
            Backlink.objects.update_or_create(comment=comment, defaults=Backlink.fields_for(picked))
    except Exception:
        logger.exception("storing the backlink of comment %s failed", comment.pk)
