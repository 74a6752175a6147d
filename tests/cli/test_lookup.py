"""The command line, end to end against a real server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from commentluv.cli import default_cache_path, main

HOME = """<html><head><title>Blog</title>
<link rel="alternate" type="application/atom+xml" href="/atom.xml"></head><body></body></html>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Blog</title><id>urn:x</id><updated>2026-11-20T10:00:00Z</updated>
<entry><title>Second &amp; last</title><link href="/2/"/><id>urn:2</id><updated>2026-11-20T10:00:00Z</updated></entry>
<entry><title>First</title><link href="/1/"/><id>urn:1</id><updated>2026-11-10T10:00:00Z</updated></entry>
</feed>"""


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """The CLI caches in $XDG_CACHE_HOME: point it at a temporary folder, never the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache"


@pytest.fixture
def blog(site):
    site.add("/", HOME)
    site.add("/atom.xml", ATOM, headers={"Content-Type": "application/atom+xml"})
    return site


def run(capsys, *args, stdin=""):
    status = main(list(args), stdin=io.StringIO(stdin))
    out, err = capsys.readouterr()
    return status, out, err


def test_prints_the_backlink(blog, capsys):
    status, out, err = run(capsys, "--allow-private-hosts", "--name", "Ann", blog.url)
    assert (status, out, err) == (0, ".-= Ann's last blog ..Second & last =-.\n", "")


def test_name_defaults_to_the_host(blog, capsys):
    _, out, _ = run(capsys, "--allow-private-hosts", "--style", "recent", blog.url)
    assert out == "127.0.0.1 recently posted..Second & last\n"


def test_html_and_markdown_formats(blog, capsys):
    _, out, _ = run(capsys, "--allow-private-hosts", "--name", "Ann", "--format", "html", blog.url)
    assert out == (
        f'.-= Ann\'s last blog ..<a href="{blog.url}/2/" rel="nofollow ugc">Second &amp; last</a> =-.\n'
    )
    _, out, _ = run(
        capsys, "--allow-private-hosts", "--name", "Ann", "--format", "markdown", blog.url
    )
    assert out == f".-= Ann's last blog ..[Second \\& last]({blog.url}/2/) =-.\n"


def test_json_output(blog, capsys):
    status, out, _ = run(capsys, "--allow-private-hosts", "--json", "--name", "Ann", blog.url)
    record = json.loads(out)
    assert status == 0
    assert record == {
        "url": blog.url,
        "ok": True,
        "cached": False,
        "feed_url": blog.url + "/atom.xml",
        "source": "feed",
        "title": "Second & last",
        "link": blog.url + "/2/",
        "published": "2026-11-20T10:00:00+00:00",
        "backlink": ".-= Ann's last blog ..Second & last =-.",
        "error": None,
    }


def test_recent_lists_posts(blog, capsys):
    _, out, _ = run(
        capsys, "--allow-private-hosts", "--recent", "5", "--style", "{title}", blog.url
    )
    assert out == "Second & last\nFirst\n"
    _, out, _ = run(capsys, "--allow-private-hosts", "--recent", "1", "--json", blog.url)
    assert [p["title"] for p in json.loads(out)["posts"]] == ["Second & last"]


def test_failures_exit_1_with_one_line_each(blog, capsys):
    # A gone deep link (404) now finds the site root's feed (issue 12): a broken one fails.
    blog.add("/broken", "oops", status=500)
    status, out, err = run(
        capsys, "--allow-private-hosts", blog.url, "javascript:alert(1)", blog.url + "/broken"
    )
    assert status == 1
    assert out.count("\n") == 1
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("commentluv: javascript:alert(1): ") and lines[0].endswith(
        "[invalid_url]"
    )
    assert lines[1].endswith("[http_error]")


def test_json_errors_carry_kind(capsys):
    status, out, _ = run(capsys, "--json", "http://127.0.0.1/")
    assert status == 1
    record = json.loads(out)
    assert record["ok"] is False and record["backlink"] is None
    assert record["error"]["kind"] == "blocked"
    assert record["error"]["message"]


def test_urls_from_stdin(blog, capsys):
    status, out, _ = run(
        capsys, "--allow-private-hosts", "--json", "-", stdin=f"{blog.url}\n\n{blog.url}/\n"
    )
    assert status == 0
    assert [json.loads(line)["url"] for line in out.splitlines()] == [blog.url, blog.url + "/"]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--style", "clasic", "x.example"],
        ["--recent", "0", "x.example"],
        ["--format", "pdf", "x.example"],
        ["--style", "{name.__class__}", "x.example"],
        ["--timeout", "-1", "x.example"],
        ["--cache", "c.sqlite3", "--no-cache", "x.example"],
    ],
)
def test_usage_errors_exit_2(capsys, args):
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == 2


def test_terminal_escapes_in_urls_are_not_echoed(capsys):
    status, _, err = run(capsys, "http://exa\x1b[31mmple.com/")
    assert status == 1
    assert "\x1b" not in err


def test_python_dash_m_and_help_stay_light():
    code = (
        "import sys, runpy; sys.argv=['commentluv','--help']\n"
        "try: runpy.run_module('commentluv', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "heavy = [m for m in ('requests', 'feedparser', 'bs4', 'ssl', 'commentluv.web',"
        " 'waitress', 'commentluv.backfill', 'tqdm') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "usage: commentluv" in result.stdout
    assert re.search(r"^  serve ", result.stdout, re.MULTILINE)  # listed, not imported
    assert re.search(r"^  backfill ", result.stdout, re.MULTILINE)
    assert "HEAVY []" in result.stdout


def test_a_second_run_is_served_from_the_cache_file(blog, capsys, cache_home):
    first = run(capsys, "--allow-private-hosts", "--name", "Ann", blog.url)
    assert blog.paths() == ["/", "/atom.xml"]
    assert run(capsys, "--allow-private-hosts", "--name", "Ann", blog.url) == first
    assert blog.paths() == ["/", "/atom.xml"]  # zero requests the second time
    assert (cache_home / "commentluv" / "cache.sqlite3").is_file()


def test_cache_path_and_no_cache(blog, capsys, cache_home, tmp_path):
    path = tmp_path / "elsewhere.sqlite3"
    run(capsys, "--allow-private-hosts", "--cache", str(path), blog.url)
    run(capsys, "--allow-private-hosts", "--cache", str(path), blog.url)
    assert blog.paths() == ["/", "/atom.xml"]
    assert path.is_file() and not cache_home.exists()
    status, out, _ = run(capsys, "--allow-private-hosts", "--no-cache", blog.url)
    assert (status, out) == (0, ".-= 127.0.0.1's last blog ..Second & last =-.\n")
    assert blog.paths() == ["/", "/atom.xml", "/", "/atom.xml"]


def test_default_cache_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "commentluv" / "cache.sqlite3"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_path() == tmp_path / "home" / ".cache" / "commentluv" / "cache.sqlite3"


def test_a_cached_run_never_imports_the_network_stack(blog, capsys, cache_home):
    # A CLI lookup answered from the cache file must stay cheap to start: no requests, bs4,
    # feedparser or lxml import (they cost most of a cold start).
    run(capsys, "--allow-private-hosts", "--name", "Ann", blog.url)
    code = (
        "import sys\n"
        "from commentluv.cli import main\n"
        f"status = main(['--allow-private-hosts', '--name', 'Ann', {blog.url!r}])\n"
        "heavy = [m for m in ('requests', 'ssl', 'commentluv._net.http', 'bs4', 'feedparser', 'lxml')"
        " if m in sys.modules]\n"
        "print('STATUS', status, 'HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        ".-= Ann's last blog ..Second & last =-.",
        "STATUS 0 HEAVY []",
    ]
    assert blog.paths() == ["/", "/atom.xml"]


# The first hour of a new user.


def test_a_remembered_failure_says_so_and_refresh_looks_again(site, capsys):
    site.add("/", "down for maintenance", status=503)
    status, _, err = run(capsys, "--allow-private-hosts", site.url)
    assert status == 1 and "remembered" not in err
    site.add("/", HOME)
    site.add("/atom.xml", ATOM, headers={"Content-Type": "application/atom+xml"})
    status, out, err = run(capsys, "--allow-private-hosts", "--json", site.url)
    assert status == 1
    assert "remembered from an earlier lookup; --refresh looks again" in err
    assert json.loads(out)["cached"] is True
    status, out, err = run(capsys, "--allow-private-hosts", "--json", "--refresh", site.url)
    assert (status, err) == (0, "")
    assert json.loads(out)["cached"] is False and json.loads(out)["title"] == "Second & last"
    status, out, _ = run(capsys, "--allow-private-hosts", "--json", site.url)
    assert json.loads(out)["cached"] is True and json.loads(out)["ok"] is True


def test_verbose_logs_the_feed_chosen_and_the_request_count(blog, capsys):
    status, _, err = run(capsys, "--allow-private-hosts", "-v", blog.url)
    assert status == 0
    assert f"INFO: {blog.url}/: feed {blog.url}/atom.xml, 2 requests" in err
    assert "answered from the network" in err


def test_a_named_cache_file_that_cannot_be_opened_warns_without_verbose(blog, capsys, tmp_path):
    status, out, err = run(capsys, "--allow-private-hosts", "--cache", str(tmp_path), blog.url)
    assert status == 0 and out.startswith(".-= 127.0.0.1's last blog")
    assert "WARNING" in err and str(tmp_path) in err and "cache unavailable" in err


def test_subcommands_are_listed_and_lookup_is_one_of_them(blog, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    assert "commands:" in help_text and "lookup" in help_text and "--refresh" in help_text
    assert run(capsys, "lookup", "--allow-private-hosts", "--name", "Ann", blog.url)[1] == (
        ".-= Ann's last blog ..Second & last =-.\n"
    )


def test_a_url_spelled_like_a_subcommand_is_looked_up_after_a_double_dash(capsys, monkeypatch):
    import socket

    from commentluv._net import http

    asked = []

    def no_such_host(host, port):
        asked.append(host)
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(http, "system_resolver", no_such_host)
    status, out, _ = run(capsys, "--json", "--no-cache", "--", "lookup")
    assert status == 1 and asked == ["lookup"]
    assert json.loads(out)["url"] == "lookup" and json.loads(out)["error"]["kind"] == "unreachable"


def test_an_empty_url_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main([""])
    assert caught.value.code == 2
    assert "empty URL" in capsys.readouterr().err


def test_comment_lines_from_stdin_are_skipped(blog, capsys):
    stdin = f"# commenters of November\n{blog.url}\n  # and a note\n"
    status, out, err = run(capsys, "--allow-private-hosts", "--json", "-", stdin=stdin)
    assert status == 0 and err == ""
    assert [json.loads(line)["url"] for line in out.splitlines()] == [blog.url]


def test_recent_text_says_last_blog_once(blog, capsys):
    _, out, _ = run(capsys, "--allow-private-hosts", "--name", "Ann", "--recent", "2", blog.url)
    assert out == ".-= Ann's last blog ..Second & last =-.\nFirst\n"
    assert out.count("last blog") == 1


def test_bad_numbers_are_explained_without_internal_names(capsys):
    for option, value in (("--timeout", "soon"), ("--recent", "many")):
        with pytest.raises(SystemExit):
            main([option, value, "x.example"])
        err = capsys.readouterr().err
        assert "positive_" not in err and "_positive" not in err and repr(value) in err


def test_allow_network_opens_one_network_and_is_validated(capsys):
    url = "http://127.0.0.1/"  # port 80 on loopback: nothing to find, but may be tried
    status, out, _ = run(capsys, "--no-cache", "--json", "--timeout", "2", url)
    assert status == 1 and json.loads(out)["error"]["kind"] == "blocked"
    status, out, _ = run(
        capsys, "--no-cache", "--json", "--timeout", "2", "--allow-network", "127.0.0.0/8", url
    )
    assert status == 1 and json.loads(out)["error"]["kind"] != "blocked"  # it was tried
    with pytest.raises(SystemExit) as caught:
        main(["--allow-network", "10.0.0.0/33", "x.example"])
    assert caught.value.code == 2 and "10.0.0.0/8" in capsys.readouterr().err
