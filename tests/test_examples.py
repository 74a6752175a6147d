"""The examples run for real: the offline demo against the sample site, and the Flask handler."""

from __future__ import annotations

import pytest

from tests.support.examples import check_example
from tests.support.examples import load_example as load


def test_demo_prints_the_sample_blog_backlink(capsys):
    demo = load("demo")
    assert demo.run(["--style", "classic"]) == 0
    out = capsys.readouterr().out
    assert out == ".-= Jaden Daniels´s last blog ..Addictions…You Can Overcome Them =-.\n"


def test_demo_json_names_the_posts_feed_not_the_comments_feed(capsys):
    demo = load("demo")
    assert demo.run(["--json"]) == 0
    out = capsys.readouterr().out
    assert '"feed_url": "http://127.0.0.1:' in out and '/feed.xml"' in out
    assert "comments" not in out


def test_flask_handler_adds_an_escaped_backlink(web):
    pytest.importorskip("flask")
    flask_comments = load("flask_comments")
    web.get(
        "https://jaden.example/",
        body="""<html><head>
        <link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>""",
    )
    web.get(
        "https://jaden.example/feed/",
        body="""<rss version="2.0"><channel>
        <item><title>&lt;script&gt;alert(1)&lt;/script&gt;Hello</title>
        <link>https://jaden.example/hello/</link></item></channel></rss>""",
    )
    app = flask_comments.create_app(timeout=2, transport=web.transport)
    client = app.test_client()
    answer = client.post(
        "/", data={"author": "Jaden", "url": "https://jaden.example/", "text": "Nice!"}
    )
    assert answer.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert '<a href="https://jaden.example/hello/" rel="nofollow ugc">' in page
    assert 'rel="nofollow ugc">Hello</a>' in page  # the escaped markup in the title was stripped
    assert "<script>" not in page and "alert(1)" not in page


def test_flask_handler_without_a_site_has_no_backlink(web):
    pytest.importorskip("flask")
    flask_comments = load("flask_comments")
    app = flask_comments.create_app(timeout=2, transport=web.transport)
    client = app.test_client()
    client.post("/", data={"author": "Anon", "url": "", "text": "Hi"})
    page = client.get("/").get_data(as_text=True)
    assert "Anon" in page and 'class="commentluv"' not in page
    assert web.requests == []


def test_flask_example_runs_offline_with_one_command():
    pytest.importorskip("flask")
    result = check_example("flask_comments")
    assert "Addictions…You Can Overcome Them</a>" in result.stdout
    assert result.stdout.count('class="commentluv"') == 1  # Anon's site is not there
    # ...and the log on stderr says why that comment has no backlink.
    assert "no backlink for '127.0.0.1:9': unreachable" in result.stderr


def test_comment_blog_checks_choices_with_one_command():
    result = check_example("comment_blog")
    page = result.stdout
    chooser, forger, no_js = page.split('<article class="comment"')[1:]
    # The chosen (second) post, checked against the feed; the forged link, refused; and
    # without a choice (JavaScript off) the latest post.
    assert 'rel="nofollow ugc">Morning Routines That Actually Stick</a>' in chooser
    assert "backlink" not in forger and "spam.example" not in page
    assert 'rel="nofollow ugc">Addictions…You Can Overcome Them</a>' in no_js
    assert "chosen post refused (not_offered)" in result.stderr


def test_django_example_checks_choices_with_one_command():
    pytest.importorskip("django_comments")
    result = check_example("django_blog")
    chooser, forger, no_js = result.stdout.split('<article class="comment">')[1:]
    assert 'rel="nofollow ugc">Morning Routines That Actually Stick</a>' in chooser
    assert "<a " not in forger.split("</article>")[0]
    assert 'rel="nofollow ugc">Addictions…You Can Overcome Them</a>' in no_js
    assert "chosen post refused (not_offered)" in result.stderr
