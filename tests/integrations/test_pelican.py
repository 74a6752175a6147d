"""The Pelican plugin in real Pelican builds of a tiny site in a temporary folder: comment
files → comment.backlink (text and HTML), the post newest at an old comment's date, lookups
through the SQLite cache (a rebuild makes no request), comments kept out of the articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pelican")

from tests.support.examples import EXAMPLES, load_example

example = load_example("pelican_site")


@pytest.fixture
def blog(site):
    """The sample blog's files on a counting loopback site."""
    for name, path in (("index.html", "/"), ("feed.xml", "/feed.xml")):
        body = (EXAMPLES / "sample-site" / name).read_text()
        kind = "application/rss+xml" if name.endswith(".xml") else "text/html; charset=utf-8"
        site.add(path, body, headers={"Content-Type": kind})
    return site


def test_comments_get_backlinks_dated_or_latest(tmp_path, sample_url):
    output = example.build(tmp_path, sample_url)
    page = (output / "starting-over.html").read_text()
    early, jaden, anon = page.split('<article class="comment"')[1:]
    # 15 Nov: the newest post then was the 13 Nov one; 20 Nov: the 17 Nov one (the latest).
    assert 'rel="nofollow ugc">Morning Routines That Actually Stick</a> =-.' in early
    assert 'rel="nofollow ugc">Addictions…You Can Overcome Them</a> =-.' in jaden
    assert "backlink" not in anon  # its site is not there
    assert (
        not (output / "comments").exists() and "So true" not in (output / "index.html").read_text()
    )


def test_templates_get_text_html_post_and_how(tmp_path, sample_url):
    example.write_site(tmp_path, sample_url)
    (tmp_path / "templates" / "article.html").write_text(
        "{% for c in article.commentluv_comments %}{{ c.id }}{% if c.backlink %}|{{ c.backlink.how }}"
        "|{{ c.backlink.text }}|{{ c.backlink.post.title }}{% endif %};{% endfor %}"
        "{{ article.commentluv_backlinks | length }}"
    )
    output = example.build(tmp_path, sample_url, COMMENTLUV_STYLE="recent")
    lines = (output / "starting-over.html").read_text().split(";")
    assert lines == [
        "0|dated|Early Bird recently posted..Morning Routines That Actually Stick|Morning Routines That Actually Stick",
        "1|dated|Jaden Daniels recently posted..Addictions…You Can Overcome Them|Addictions…You Can Overcome Them",
        "2",
        "2",
    ]


def test_a_rebuild_answers_from_the_sqlite_cache(tmp_path, blog):
    example.build(tmp_path, blog.url + "/")
    first = len(blog.paths())
    shutil.rmtree(tmp_path / "output")
    output = example.build(tmp_path, blog.url + "/")
    assert first == 2 and len(blog.paths()) == first  # page + feed once, then the cache
    assert (tmp_path / "cache" / "commentluv.sqlite3").exists()
    assert "Addictions…You Can Overcome Them</a>" in (output / "starting-over.html").read_text()


def test_pelican_loads_the_plugin_by_its_module_path():
    from pelican.plugins._utils import load_plugins

    from commentluv.integrations import pelican as plugin

    (loaded,) = load_plugins({"PLUGINS": ["commentluv.integrations.pelican"]})
    assert loaded is plugin


def test_the_package_adds_nothing_under_pelicans_namespace():
    """commentluv ships no pelican.plugins.commentluv: ``import pelican`` must never succeed
    without Pelican, and there is one way to name the plugin."""
    import pelican.plugins

    assert not any(Path(folder, "commentluv").exists() for folder in pelican.plugins.__path__)


def test_the_example_runs_offline_with_one_command():
    from tests.support.examples import check_example

    result = check_example("pelican_site")
    assert result.stdout.count('<p class="backlink">') == 2
    assert "no backlink for 'http://127.0.0.1:9/'" in result.stderr


def test_a_missing_backlink_is_logged_at_info_once_prefixed(tmp_path, sample_url, caplog):
    caplog.set_level("INFO", logger="commentluv")
    example.build(tmp_path, sample_url)
    missing = [r for r in caplog.records if "no backlink for" in r.getMessage()]
    assert missing, "the comment whose site is not there is logged"
    # INFO, as documented; the logger's name is the prefix, never the message's own.
    assert {r.levelname for r in missing} == {"INFO"}
    assert all(r.name == "commentluv" or r.name.startswith("commentluv.") for r in missing)
    assert not any(r.getMessage().startswith("commentluv:") for r in missing)
