"""The Django app against the real django-contrib-comments, a real SQLite database and the
sample blog on loopback: comments posted through Django's test client, with and without a
chosen post, a forged one, an unreachable site; the tag, the service, the backfill."""

from __future__ import annotations

import io
import itertools
import logging
import time

import pytest

pytest.importorskip("django_comments")

COUNTER = itertools.count()


@pytest.fixture
def project(django_project):
    import django_comments
    from django.core.cache import cache

    cache.clear()
    yield django_project
    django_comments.get_model().objects.all().delete()


@pytest.fixture
def settings(project):
    """Set Django settings for one test (as pytest-django's fixture does)."""
    from django.test import override_settings

    applied = []

    class Settings:
        def __setattr__(self, name, value):
            override = override_settings(**{name: value})
            override.enable()
            applied.append(override)

    yield Settings()
    for override in reversed(applied):
        override.disable()


@pytest.fixture
def client(project):
    from django.test import Client

    return Client()


def post(client, project, **fields):
    # Each comment's own text: django-contrib-comments folds identical ones into one.
    text = f"Hi #{next(COUNTER)}"
    answer = client.post("/comments/post/", project.comment_form(comment=text, **fields))
    assert answer.status_code == 302, answer.content[:500]  # saved: the "posted" redirect
    import django_comments

    return django_comments.get_model().objects.order_by("-pk").first()


def backlink_of(comment):
    from commentluv.integrations.django.models import Backlink

    return Backlink.objects.filter(comment=comment).first()


def test_a_chosen_post_is_checked_against_the_feed_and_stored(client, project, sample_url):
    offer = client.get("/commentluv/recent", {"url": sample_url}).json()
    second = offer["posts"][1]
    comment = post(
        client,
        project,
        name="Chooser",
        url=sample_url,
        commentluv_link=second["link"],
        commentluv_token=offer["choice_token"],
    )
    stored = backlink_of(comment)
    assert stored.how == "chosen" and stored.link == second["link"]
    assert stored.title == "Morning Routines That Actually Stick" == second["title"]
    assert stored.site_url == sample_url and stored.feed_url == sample_url + "feed.xml"


def test_without_a_choice_the_latest_post_is_stored(client, project, sample_url):
    comment = post(client, project, name="No JS", url=sample_url)
    stored = backlink_of(comment)
    assert stored.how == "latest" and stored.title == "Addictions…You Can Overcome Them"
    assert stored.published is not None


def test_a_forged_choice_gets_nothing_but_the_comment_is_saved(client, project, sample_url, caplog):
    caplog.set_level(logging.INFO, "commentluv")
    offer = client.get("/commentluv/recent", {"url": sample_url}).json()
    forged = post(
        client,
        project,
        name="Forger",
        url=sample_url,
        commentluv_link="https://spam.example/pills",
        commentluv_token=offer["choice_token"],
    )
    no_token = post(
        client, project, name="Forger", url=sample_url, commentluv_link="https://spam.example/"
    )
    tampered = post(
        client,
        project,
        name="Forger",
        url=sample_url,
        commentluv_link=offer["posts"][0]["link"],
        commentluv_token=offer["choice_token"][:-2] + "AA",
    )
    assert [backlink_of(c) for c in (forged, no_token, tampered)] == [None, None, None]
    assert "chosen post refused (not_offered)" in caplog.text
    assert "chosen post refused (tampered)" in caplog.text


def test_an_unreachable_or_slow_site_never_blocks_the_comment(client, project, site, settings):
    settings.COMMENTLUV = {"TIMEOUT": 0.5, "CLIENT_OPTIONS": {"allow_private_hosts": True}}
    site.add("/", "<html><head>" + " " * 400 + "</head></html>", drip_delay=0.01, drip=1)
    started = time.monotonic()
    unreachable = post(client, project, name="Gone", url="http://127.0.0.1:9/")
    slow = post(client, project, name="Slow", url=site.url + "/")
    assert time.monotonic() - started < 2 * 0.5 + 0.8  # each POST within its deadline
    assert unreachable.pk and slow.pk
    assert backlink_of(unreachable) is None and backlink_of(slow) is None


def test_a_failing_lookup_layer_never_fails_the_comment(client, project, sample_url, monkeypatch):
    from commentluv.integrations.django import conf

    def broken():
        raise RuntimeError("misconfigured")

    monkeypatch.setattr(conf, "client", broken)
    comment = post(client, project, name="Anyway", url=sample_url)
    assert comment.pk and backlink_of(comment) is None


def test_the_tag_renders_the_stored_post_with_the_dofollow_policy(
    client, project, sample_url, settings
):
    from django.contrib.auth.models import User
    from django.template import engines

    comment = post(client, project, name="<b>Jaden</b>", url=sample_url)
    other = post(client, project, name="Someone else", url=sample_url)
    tag = engines["django"].from_string("{% load commentluv %}{% commentluv_backlink c %}")
    line = tag.render({"c": comment})
    assert line.startswith(".-= Jaden's last blog ..<a href=")  # the tags cleaned away
    assert 'rel="nofollow ugc">Addictions…You Can Overcome Them</a> =-.' in line
    assert "<b>" not in line
    settings.COMMENTLUV = {"DOFOLLOW": "registered", "STYLE": "recent"}
    assert 'rel="nofollow ugc"' in tag.render({"c": comment})
    comment.user = User.objects.create(username="jaden")
    line = tag.render({"c": comment})
    assert 'rel="ugc"' in line and "recently posted.." in line
    settings.COMMENTLUV = {"DOFOLLOW": "tests.integrations.test_django.only_jaden"}
    assert 'rel="ugc"' in tag.render({"c": comment})
    assert 'rel="nofollow ugc"' in tag.render({"c": other})
    settings.COMMENTLUV = {"FORMAT": "text"}
    assert tag.render({"c": comment}).endswith("..Addictions…You Can Overcome Them =-.")
    assert tag.render({"c": object()}) == ""  # no stored backlink: nothing


def only_jaden(comment) -> bool:
    return "Jaden" in comment.name


def test_the_rendered_form_brings_the_widget_and_the_service_answers(client, project, sample_url):
    page = client.get("/").content.decode()
    assert '<input type="hidden" name="commentluv_link"' in page
    assert '<script src="/commentluv/commentluv.js" data-endpoint="/commentluv"' in page
    script = client.get("/commentluv/commentluv.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    answer = client.get("/commentluv/backlink", {"url": sample_url, "name": "Jaden"})
    assert answer.json()["backlink"].endswith("..Addictions…You Can Overcome Them =-.")
    assert client.get("/commentluv/recent").status_code == 400


def test_backfill_fills_existing_comments_through_warm(project, sample_url):
    from datetime import datetime, timezone

    import django_comments
    from django.contrib.sites.models import Site
    from django.core.management import call_command

    target = Site.objects.get_current()
    model = django_comments.get_model()

    def make(name, url, when):
        return model.objects.create(
            content_object=target, site=target, user_name=name, user_url=url, comment="old",
            submit_date=when,
        )  # fmt: skip

    old = make("Old", sample_url, datetime(2026, 11, 15, 12, tzinfo=timezone.utc))
    new = make("New", sample_url, datetime(2030, 1, 1, tzinfo=timezone.utc))
    gone = make("Gone", "http://127.0.0.1:9/", datetime(2030, 1, 1, tzinfo=timezone.utc))
    out = io.StringIO()
    call_command("commentluv_backfill", "--batch-size", "2", "--timeout", "2", stdout=out)
    # Labelled counts, never "1 backlinks".
    assert out.getvalue().splitlines() == [
        "comments without a backlink: 3",
        "comments 2/3, backlinks 2",
        "comments 3/3, backlinks 2",
        "done: comments 3, backlinks 2",
    ]
    assert backlink_of(new).title == "Addictions…You Can Overcome Them"
    older = backlink_of(old)
    assert older.title == "Morning Routines That Actually Stick"  # the newest on 15 Nov
    assert backlink_of(gone) is None


def test_the_backlink_is_a_table_of_its_own_and_its_migration_is_complete(project):
    import django_comments
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        columns = {
            column.name
            for column in connection.introspection.get_table_description(
                cursor, django_comments.get_model()._meta.db_table
            )
        }
    assert not any("commentluv" in name or "backlink" in name for name in columns)
    call_command("makemigrations", "commentluv", "--check", "--dry-run", verbosity=0)


def test_settings_are_checked(project, settings):
    from django.core.exceptions import ImproperlyConfigured

    from commentluv.integrations.django import conf

    for bad in ({"STYEL": "card"}, {"FORMAT": "rtf"}, {"TIMEOUT": 0}, {"DOFOLLOW": "no.such"}):
        settings.COMMENTLUV = bad
        with pytest.raises(ImproperlyConfigured):
            conf.settings()
    settings.COMMENTLUV = {"SECRET": "s" * 32}
    assert conf.client().choice_signer is not None and conf.settings().cache == "default"


def test_a_project_form_of_its_own_mixes_the_fields_in(project):
    from django.contrib.sites.models import Site
    from django_comments.forms import CommentForm

    from commentluv.integrations.django.forms import CommentLuvFormMixin

    class ProjectForm(CommentLuvFormMixin, CommentForm):
        pass

    form = ProjectForm(Site.objects.get_current())
    html = str(form["commentluv_link"]) + str(form["commentluv_token"])
    assert html.count('type="hidden"') == 2 and "commentluv.js" in html
    assert {"commentluv_link", "commentluv_token", "name", "url"} <= set(form.fields)
