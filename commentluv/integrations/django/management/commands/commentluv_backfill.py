"""``python manage.py commentluv_backfill``: backlinks for comments that have none.

Each batch's sites are refreshed together through :meth:`CommentLuv.warm` (concurrently,
each within its deadline). A comment gets the post that was newest when it was written if
its author's feed still reaches back that far, else their latest post.
"""

from __future__ import annotations

from typing import Any

import django_comments
from django.core.management.base import BaseCommand, CommandParser

from commentluv.integrations.common import Picked
from commentluv.integrations.django import conf
from commentluv.integrations.django.models import Backlink
from commentluv.models import latest_as_of


class Command(BaseCommand):
    help = "Fill in the CommentLuv backlink of existing comments that have a site URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help="comments per batch")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds per site")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, int(options["batch_size"]))
        pending = (
            django_comments.get_model()
            .objects.exclude(user_url="")
            .filter(commentluv_backlink__isnull=True)
            .order_by("pk")
        )
        total, done, filled, last = pending.count(), 0, 0, None
        self.stdout.write(f"comments without a backlink: {total}")
        while True:
            after = pending if last is None else pending.filter(pk__gt=last)
            batch = list(after[:batch_size])
            if not batch:
                break
            results = conf.client().warm(
                (comment.user_url for comment in batch), timeout=options["timeout"]
            )
            for comment in batch:
                posts = results[comment.user_url].posts
                post = latest_as_of(posts, comment.submit_date) or (posts[0] if posts else None)
                if post is not None:
                    Backlink.objects.update_or_create(
                        comment=comment, defaults=Backlink.fields_for(Picked(post, "latest"))
                    )
                    filled += 1
            done, last = done + len(batch), batch[-1].pk
            self.stdout.write(f"comments {done}/{total}, backlinks {filled}")
        self.stdout.write(self.style.SUCCESS(f"done: comments {done}, backlinks {filled}"))
