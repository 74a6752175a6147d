"""The Backlink table, linked to whichever comment model the project uses."""

from __future__ import annotations

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from commentluv.integrations.django.conf import comment_model_label

COMMENT_MODEL = comment_model_label()


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(COMMENT_MODEL)]

    operations = [
        migrations.CreateModel(
            name="Backlink",
            fields=[
                (
                    "comment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="commentluv_backlink",
                        serialize=False,
                        to=COMMENT_MODEL,
                    ),
                ),
                ("site_url", models.URLField(max_length=2048)),
                ("title", models.CharField(max_length=300)),
                ("link", models.URLField(blank=True, max_length=2048)),
                ("published", models.DateTimeField(blank=True, null=True)),
                ("feed_url", models.URLField(max_length=2048)),
                (
                    "how",
                    models.CharField(
                        choices=[("latest", "latest"), ("chosen", "chosen")], max_length=8
                    ),
                ),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"verbose_name": "CommentLuv backlink"},
        ),
    ]
