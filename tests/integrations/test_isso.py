"""The Isso subscriber in a real Isso app (made with a temporary config whose website is on
loopback): the backlink appended as Markdown and rendered by Isso, hostile titles inert, and
no lookup failure ever failing a comment."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

import pytest

pytest.importorskip("isso")

from commentluv import CommentLuv
from commentluv.integrations.isso import BacklinkAppender, attach, find_isso
from tests.support.examples import load_example

example = load_example("isso_comments")


@pytest.fixture
def luv():
    with CommentLuv(timeout=2, allow_private_hosts=True) as client:
        yield client


def plain_text(folder, answer) -> str:
    """The comment's stored (Markdown) text, from Isso's database."""
    with closing(sqlite3.connect(folder / "comments.db")) as db:
        row = db.execute("SELECT text FROM comments WHERE id = ?", (answer.get_json()["id"],))
        return row.fetchone()[0]


def test_the_backlink_is_appended_as_markdown_and_rendered_by_isso(tmp_path, sample_url, luv):
    isso = example.make_isso(str(tmp_path), sample_url, luv, style="recent")
    answer = example.post_comment(
        isso, sample_url, author="Jaden & co", website=sample_url, text="Great post!\n"
    )
    assert answer.status_code == 201
    link = sample_url + "2026/11/addictions-you-can-overcome-them/"
    assert plain_text(tmp_path, answer) == (
        f"Great post!\n\nJaden \\& co recently posted..[Addictions…You Can Overcome Them]({link})"
    )
    rendered = answer.get_json()["text"]
    assert (
        f'<p>Jaden &amp; co recently posted..<a href="{link}" rel="nofollow noopener">' in rendered
    )


def test_hostile_titles_and_names_stay_text(tmp_path, site, luv):
    site.add(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head></html>',
    )
    site.add(
        "/feed",
        "<rss><channel><item><title>[click](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt;"
        " *bold* see www.spam.example</title><link>"
        + site.url
        + "/p</link></item></channel></rss>",
        headers={"Content-Type": "application/rss+xml"},
    )
    isso = example.make_isso(str(tmp_path), site.url + "/", luv)
    answer = example.post_comment(
        isso, site.url, author="<b>Mallory</b>", website=site.url + "/", text="hello"
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    rendered = answer.get_json()["text"]
    assert "javascript:" not in rendered.replace("[click](javascript:alert(1))", "")
    assert "<img" not in rendered and "<strong>" not in rendered and "<em>" not in rendered
    assert rendered.count("<a ") == 1 and f'href="{site.url}/p"' in rendered
    assert "www.spam.example</a>" not in rendered


def test_a_failed_or_slow_lookup_leaves_the_comment_as_written(tmp_path, sample_url, site):
    site.add("/", "<html><head>" + " " * 400 + "</head></html>", drip_delay=0.01, drip=1)
    with CommentLuv(allow_private_hosts=True) as luv:
        isso = example.make_isso(str(tmp_path), sample_url, luv, timeout=0.5)
        started = time.monotonic()
        gone = example.post_comment(isso, sample_url, website="127.0.0.1:9", text="one")
        slow = example.post_comment(isso, sample_url, website=site.url + "/", text="two")
        elapsed = time.monotonic() - started
    assert gone.status_code == slow.status_code == 201
    assert [plain_text(tmp_path, a) for a in (gone, slow)] == ["one", "two"]
    assert elapsed < 0.5 + 0.8  # the slow site had its deadline, the refused one none


def test_a_broken_client_never_fails_the_comment(tmp_path, sample_url, monkeypatch):
    luv = CommentLuv(allow_private_hosts=True)

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(luv, "lookup", broken)
    isso = example.make_isso(str(tmp_path), sample_url, luv)
    answer = example.post_comment(isso, sample_url, website=sample_url, text="still here")
    assert answer.status_code == 201 and plain_text(tmp_path, answer) == "still here"


def test_attach_finds_isso_inside_its_middleware_and_checks_its_options(tmp_path, sample_url):
    luv = CommentLuv()
    isso = example.make_isso(str(tmp_path), sample_url, luv)
    inner = find_isso(isso)
    assert find_isso(inner) is inner
    assert isinstance(attach(inner, luv), BacklinkAppender)
    with pytest.raises(ValueError, match="no Isso application"):
        find_isso(lambda environ, start_response: [])
    with pytest.raises(ValueError, match="placeholder"):
        BacklinkAppender(luv, style="{nope}")


def test_the_example_runs_offline_with_one_command():
    from tests.support.examples import check_example

    result = check_example("isso_comments")
    assert 'rel="nofollow noopener">Addictions…You Can Overcome Them</a>' in result.stdout
    assert "Anon: <p>Hello</p>" in result.stdout
    assert "no backlink for 'http://127.0.0.1:9': unreachable" in result.stderr


SECRET = b"the blog's own secret, 32 bytes!"


def test_a_choice_registered_with_the_service_is_honoured_once(tmp_path, sample_url, caplog):
    from commentluv.web import make_app
    from commentluv.web.choices import Choice, ChoiceRegistry
    from tests.support.wsgi import call_wsgi

    def comment(text: str) -> str:
        answer = example.post_comment(
            isso, sample_url, author="Jaden", website=sample_url, text=text
        )
        return plain_text(tmp_path, answer)

    caplog.set_level("INFO", logger="commentluv")
    with CommentLuv(timeout=2, allow_private_hosts=True, choice_secret=SECRET) as luv:
        isso = example.make_isso(str(tmp_path), sample_url, luv, style="recent")
        offer = call_wsgi(make_app(luv), "/recent", {"url": sample_url}).json
        second = offer["posts"][1]["link"]
        registry, signer, site = ChoiceRegistry(luv.cache), luv.choice_signer, offer["site"]
        choice = Choice(second, offer["choice_token"])
        assert registry.register(signer, site, choice, now=time.time()) == "ok"
        chosen, again = comment("one"), comment("two")
        # A link the token offered but the feed no longer has: the latest post instead.
        gone = sample_url + "gone/"
        choice = Choice(gone, signer.issue(site, [gone], int(time.time()) + 60))
        assert registry.register(signer, site, choice, now=time.time()) == "ok"
        refused = comment("three")
    latest = sample_url + "2026/11/addictions-you-can-overcome-them/"
    assert (
        chosen == f"one\n\nJaden recently posted..[Morning Routines That Actually Stick]({second})"
    )
    assert again.endswith(f"({latest})")  # a choice is used once
    assert refused.endswith(f"({latest})")
    assert "chosen post refused (not_recent)" in caplog.text
