"""The backlink stored for a comment: a table of its own beside the comment model's."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ...models import Post
from ..common import Picked
from .conf import comment_model_label

__all__ = ["Backlink"]


class Backlink(models.Model):
    """The post shown under one comment, and how it was chosen (``latest`` or ``chosen``)."""

    comment = models.OneToOneField(
        comment_model_label(),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="commentluv_backlink",
    )
    site_url = models.URLField(max_length=2048)
    title = models.CharField(max_length=300)
    link = models.URLField(max_length=2048, blank=True)
    published = models.DateTimeField(null=True, blank=True)
    feed_url = models.URLField(max_length=2048)
    how = models.CharField(max_length=8, choices=[("latest", "latest"), ("chosen", "chosen")])
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "CommentLuv backlink"

    def __str__(self) -> str:
        return str(self.title)

    @property
    def post(self) -> Post:
        return Post(self.title, self.link or None, self.published, self.feed_url, self.site_url)

    @classmethod
    def fields_for(cls, picked: Picked) -> dict[str, object]:
        """The columns for ``picked`` (for ``update_or_create(defaults=...)``)."""
        post = picked.post
        return {
            "site_url": post.site_url,
            "title": post.title,
            "link": post.link or "",
            "published": post.published,
            "feed_url": post.feed_url,
            "how": picked.how,
            "created": timezone.now(),
        }
