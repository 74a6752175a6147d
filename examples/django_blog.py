"""A one-file Django project whose django-contrib-comments get CommentLuv backlinks.

    python examples/django_blog.py            # serve it on http://127.0.0.1:8000/
    python examples/django_blog.py --check    # post three comments without a browser, print

The app ``commentluv.integrations.django`` adds the widget's fields and script to the
comment form (``COMMENTS_APP``), picks each new comment's post in the comment signals and
stores it beside the comment; ``{% commentluv_backlink comment %}`` renders it. Offline: the
commenter's site is the bundled sample blog on 127.0.0.1 (allowed in ``CLIENT_OPTIONS``, as
only a demo should), and comments go to a temporary SQLite database.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

from sample_site import example_arguments, serve_sample_site

PAGE = """{% load comments commentluv %}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A Django blog</title>
<link rel="stylesheet" href="{% url 'commentluv:root' %}commentluv.css"></head><body>
<h1>Starting over, one habit at a time</h1>
{% get_comment_list for site as comments %}
{% for comment in comments %}
<article class="comment"><p><strong>{{ comment.name }}</strong>: {{ comment.comment }}</p>
  <p class="backlink">{% commentluv_backlink comment %}</p></article>
{% endfor %}
{% render_comment_form for site %}
<p>As your site, try the sample blog: {{ sample_url }}</p>
</body></html>"""


def configure(db_path: str, sample_url: str = "", **overrides: Any) -> None:
    """Configure Django for this project (once per process; ``overrides`` replace any
    setting) and set it up."""
    import django
    from django.conf import settings

    project = {
        "SECRET_KEY": "an example key, not a secret: set your own",
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "testserver"],
        "ROOT_URLCONF": __name__,
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.sites",
            "django_comments",
            "commentluv.integrations.django",
        ],
        "MIDDLEWARE": [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        "TEMPLATES": [
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        "SITE_ID": 1,
        "USE_TZ": True,
        "COMMENTS_APP": "commentluv.integrations.django",
        "COMMENTLUV": {"TIMEOUT": 2.0, "CLIENT_OPTIONS": {"allow_private_hosts": True}},
        "SAMPLE_URL": sample_url,
    }
    settings.configure(**{**project, **overrides})
    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def post_page(request: Any) -> Any:
    from django.conf import settings
    from django.contrib.sites.models import Site
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string(PAGE)
    context = {"site": Site.objects.get_current(), "sample_url": settings.SAMPLE_URL}
    return HttpResponse(template.render(context, request))


def _urlpatterns() -> list[Any]:
    from django.urls import include, path

    return [
        path("", post_page, name="post"),
        path("comments/", include("django_comments.urls")),
        path("commentluv/", include("commentluv.integrations.django.urls")),
    ]


def __getattr__(name: str) -> Any:
    # ROOT_URLCONF is this module; its patterns are built once Django is set up.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def comment_form(**fields: str) -> dict[str, str]:
    """A comment form's fields for the current site (its security fields included)."""
    import django_comments
    from django.contrib.sites.models import Site

    form = django_comments.get_form()(Site.objects.get_current())
    return {**form.generate_security_data(), "email": "someone@example.com", **fields}


def check(sample_url: str) -> str:
    """Post a chosen, a forged and a plain comment; the page that results."""
    from django.test import Client

    client = Client()
    offer = client.get("/commentluv/recent", {"url": sample_url}).json()
    second, token = offer["posts"][1]["link"], offer["choice_token"]
    for name, link in (("Chooser", second), ("Forger", "https://spam.example/pills")):
        fields = {"name": name, "url": sample_url, "comment": "Hi!"}
        client.post(
            "/comments/post/",
            comment_form(**fields, commentluv_link=link, commentluv_token=token),
        )
    client.post("/comments/post/", comment_form(name="No JS", url=sample_url, comment="Hi"))
    return client.get("/").content.decode()


def main(argv: list[str]) -> int:
    args = example_arguments(argv, __doc__, check="post three comments and exit", port=8000)
    with tempfile.TemporaryDirectory() as folder, serve_sample_site() as sample_url:
        configure(str(Path(folder) / "comments.sqlite3"), sample_url)
        migrate()
        if args.check:
            print(check(sample_url))
            return 0
        from wsgiref.simple_server import make_server

        from django.core.wsgi import get_wsgi_application

        server = make_server("127.0.0.1", args.port, get_wsgi_application())
        print(f"The blog: http://127.0.0.1:{args.port}/  (your site: {sample_url})")
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main(sys.argv[1:]))
