"""The app's configuration: connects the comment signals."""

from __future__ import annotations

from django.apps import AppConfig


class CommentLuvConfig(AppConfig):
    name = "commentluv.integrations.django"
    label = "commentluv"
    verbose_name = "CommentLuv"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_comments.signals import comment_was_posted, comment_will_be_posted

        from .receivers import pick_backlink, store_backlink

        comment_will_be_posted.connect(pick_backlink, dispatch_uid="commentluv.pick")
        comment_was_posted.connect(store_backlink, dispatch_uid="commentluv.store")
