"""``commentluv backfill`` end to end, against real servers on 127.0.0.1: every input and
output format, the cache on a second run, progress, and a run killed halfway then resumed."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import pty
import random
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections import Counter

import pytest

from commentluv.backfill import read_state_info
from commentluv.cli import backfill as backfill_command
from commentluv.cli import main
from tests.support.backfill import (
    blogger_entry,
    blogger_export,
    cl_data,
    loopback_blog,
    mt_comment,
    mt_entry,
    wxr,
    wxr_comment,
)
from tests.support.loopback import Route


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache"


def run(capsys, *args):
    status = main(["backfill", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def export(tmp_path, site, name="export.xml"):
    """Four commenters: Ann twice, Bob, Cy with the old plugin's data, a dead site."""
    ann = loopback_blog(site, "/ann")
    bob = loopback_blog(site, "/bob")
    path = tmp_path / name
    path.write_text(
        wxr(
            [
                wxr_comment("1", "Ann", ann, "2026-11-15 12:00:00"),
                wxr_comment("2", "Bob", bob, "2026-11-25 12:00:00"),
            ],
            [
                wxr_comment("3", "Ann", f"{ann}#comments", "2026-10-01 00:00:00"),
                wxr_comment(
                    "4",
                    "Cy",
                    "http://cy.example/",
                    meta={"cl_data": cl_data("Old & gold", "http://cy.example/o/")},
                ),
                wxr_comment("5", "Dead", "http://127.0.0.1:9/"),
            ],
        ),
        encoding="utf-8",
    )
    return path


def records(text):
    return {record["comment_id"]: record for record in map(json.loads, text.splitlines())}


def test_wxr_in_jsonl_out_then_a_second_run_makes_no_request(tmp_path, site, capsys):
    path = export(tmp_path, site)
    status, out, err = run(capsys, path, "--allow-private-hosts", "--timeout", "3")
    assert status == 0
    got = records(out)
    assert list(got) == ["1", "2", "3", "4", "5"]  # input order
    assert {key: (r["outcome"], r["chosen"], r["error"]) for key, r in got.items()} == {
        "1": ("ok", "latest", None),
        "2": ("ok", "latest", None),
        "3": ("ok", "latest", None),
        "4": ("ok", "historical", None),
        "5": ("error", None, "unreachable"),
    }
    assert got["4"]["backlink_html"] == (
        '.-= Cy\'s last blog ..<a href="http://cy.example/o/" rel="nofollow ugc">Old &amp; gold</a> =-.'
    )
    assert got["1"]["title"] == "Third post" and got["1"]["published"].startswith("2026-11-20")
    assert Counter(site.paths()) == dict.fromkeys(["/ann/", "/ann/feed/", "/bob/", "/bob/feed/"], 1)
    assert "5 comments, 3 sites: 3 looked up (0 answered from the cache)" in err
    assert "outcomes: ok 4, error 1" in err and "errors: unreachable 1" in err
    assert "chosen: latest 3, historical 1" in err and "sites/s" in err
    # The second run: every site from the SQLite cache (the dead one remembered too).
    status, again, err = run(capsys, path, "--allow-private-hosts", "--timeout", "3")
    assert status == 0 and len(site.paths()) == 4  # zero new requests
    assert "3 looked up (3 answered from the cache)" in err
    assert {k: {**r, "cached": None} for k, r in records(again).items()} == {
        k: {**r, "cached": None} for k, r in got.items()
    }
    assert all(r["cached"] for k, r in records(again).items() if k != "4")


def test_as_of_and_fallback_on_the_command_line(tmp_path, site, capsys):
    path = export(tmp_path, site)
    _, out, _ = run(capsys, path, "--allow-private-hosts", "--no-cache", "--as-of", "comment-date")
    got = records(out)
    assert (got["1"]["chosen"], got["1"]["title"]) == ("as_of", "Second post")
    assert got["3"]["outcome"] == "no_post_at_date"
    _, out, _ = run(
        capsys, path, "--allow-private-hosts", "--as-of", "comment-date", "--fallback", "latest"
    )
    assert (records(out)["3"]["chosen"], records(out)["3"]["title"]) == ("latest", "Third post")


def test_csv_and_wxr_outputs(tmp_path, site, capsys):
    path = export(tmp_path, site)
    original = path.read_bytes()
    out_csv, out_wxr = tmp_path / "links.csv", tmp_path / "with-links.xml"
    status, out, err = run(
        capsys, path, "--allow-private-hosts", "-o", out_csv, "--wxr-out", out_wxr, "-q"
    )
    assert (status, out, err) == (0, "", "")
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert [row["comment_id"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert rows[3]["chosen"] == "historical" and rows[4]["error"] == "unreachable"
    assert path.read_bytes() == original
    assert out_wxr.read_text(encoding="utf-8").count("<wp:meta_key>commentluv</wp:meta_key>") == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_csv_and_jsonl_inputs(tmp_path, site, capsys):
    ann = loopback_blog(site, "/ann")
    table = tmp_path / "comments.csv"
    table.write_text(f"who,home,when\nAnn,{ann},2026-11-12\nNo site,,\n", encoding="utf-8")
    status, out, _ = run(
        capsys, table, "--allow-private-hosts", "--name-column", "who", "--url-column", "home",
        "--date-column", "when", "--as-of", "comment-date",
    )  # fmt: skip
    assert status == 0
    assert [(r["comment_id"], r["outcome"], r["title"]) for r in records(out).values()] == [
        ("1", "ok", "Second post"),
        ("2", "no_url", None),
    ]
    lines = tmp_path / "comments.txt"
    lines.write_text(json.dumps({"id": "a", "name": "Ann", "url": ann}) + "\n", encoding="utf-8")
    status, out, _ = run(
        capsys, lines, "--format", "jsonl", "--allow-private-hosts", "--output-format", "csv"
    )
    assert status == 0 and out.splitlines()[1].startswith("a,Ann,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xml"], "no such file"),
        (["{csv}", "--wxr-out", "x.xml"], "--wxr-out needs a WXR input"),
        (["{csv}", "--fallback", "latest"], "--fallback goes with --as-of comment-date"),
        (["{csv}", "--per-host", "3"], "invalid choice: 3"),
        (["{csv}", "--delay", "-1"], "must be 0 or more"),
        (["{csv}", "--style", "{oops}"], "placeholder"),
        (["{txt}"], "cannot tell the format"),
        (["{csv}", "-o", "{csv}"], "--output may not be the input file"),
        (["{csv}", "-o", "nowhere/links.jsonl"], "--output: no such folder: nowhere"),
    ],
)
def test_usage_errors(tmp_path, capsys, args, message):
    (tmp_path / "c.csv").write_text("url\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("", encoding="utf-8")
    files = {"{csv}": tmp_path / "c.csv", "{txt}": tmp_path / "c.txt"}
    args = [files.get(arg, arg) for arg in args]
    with pytest.raises(SystemExit) as caught:
        run(capsys, *args)
    assert caught.value.code == 2 and message in capsys.readouterr().err


def test_a_malformed_input_is_reported_with_its_line(tmp_path, capsys):
    path = tmp_path / "broken.xml"
    path.write_text(
        wxr([wxr_comment("1", "A", "a.example")]).replace("</channel>", ""), encoding="utf-8"
    )
    status, out, err = run(capsys, path)
    assert status == 1 and out == ""
    assert "broken.xml:2: not well-formed XML" in err


def test_plain_progress_lines_when_not_on_a_terminal(tmp_path, site, capsys, monkeypatch):
    monkeypatch.setattr(backfill_command, "PROGRESS_EVERY", 0.0)
    status, _, err = run(capsys, export(tmp_path, site), "--allow-private-hosts")
    assert status == 0
    assert "commentluv: backfill: read 5 comments" in err
    assert "commentluv: backfill: 3 of 3 sites to look up" in err
    assert "commentluv: backfill: 3/3 sites, 5 comments" in err
    assert "\r" not in err


def _terminal():
    """A pseudo-terminal of 24 x 100: (leader, follower) descriptors."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    return leader, follower


def _shown_until_closed(leader, shown=b""):
    """Everything the terminal shows until the child's side closes; closes ``leader``."""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the child
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return shown.decode("utf-8", "replace")


def _on_a_terminal(args, *, without_tqdm=False):
    """Run the command in a child whose stderr is a terminal; returns what it showed there."""
    code = "import sys\n"
    if without_tqdm:
        code += "sys.modules['tqdm'] = None\n"  # as if the extra were not installed
    code += f"from commentluv.cli import main\nsys.exit(main({['backfill', *map(str, args)]!r}))\n"
    leader, follower = _terminal()
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=follower, env=os.environ
    )
    os.close(follower)
    shown = _shown_until_closed(leader)
    assert child.wait(timeout=60) == 0
    return shown


def test_a_progress_bar_on_a_terminal_and_plain_lines_without_tqdm(tmp_path, site):
    pytest.importorskip("tqdm")
    path = export(tmp_path, site)
    shown = _on_a_terminal([path, "--allow-private-hosts", "--no-cache"])
    assert "sites: 100%" in shown and "3/3" in shown and "\r" in shown
    shown = _on_a_terminal([path, "--allow-private-hosts", "--no-cache"], without_tqdm=True)
    assert "100%" not in shown and "3 looked up" in shown


# Interrupted runs


class Slow:
    """A home page that answers only once released (or after a minute)."""

    def __init__(self):
        self.release = threading.Event()

    def __call__(self, request):
        self.release.wait(60)
        prefix = request.path.rstrip("/")
        body = f'<link rel="alternate" type="application/rss+xml" href="{prefix}/feed/">'
        request._answer(Route(body.encode()))


def start_backfill(path, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "commentluv", "backfill", str(path), *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
    )


def wait_for_sites_done(state, count, child):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = read_state_info(state) if state.exists() else None
        if info is not None and info.sites_done >= count:
            return
        assert child.poll() is None, child.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the backfill never got that far")


def interrupted_setup(tmp_path, site):
    slow = Slow()
    fast = [loopback_blog(site, f"/f{n}") for n in range(3)]
    slow_url = loopback_blog(site, "/slow", handler=slow)
    comments = [wxr_comment(str(n), "F", url) for n, url in enumerate(fast)]
    comments.append(wxr_comment("slow", "S", slow_url))
    comments.append(wxr_comment("again", "F", fast[0]))
    path = tmp_path / "export.xml"
    path.write_text(wxr(comments), encoding="utf-8")
    return path, slow


def test_killed_halfway_then_resumed_loses_nothing_and_fetches_no_site_twice(tmp_path, site):
    path, slow = interrupted_setup(tmp_path, site)
    state, out = tmp_path / "state.sqlite3", tmp_path / "links.jsonl"
    options = [
        "--allow-private-hosts",
        "--no-cache",
        "--state",
        state,
        "-o",
        out,
        "--timeout",
        "30",
    ]
    child = start_backfill(path, *options)
    try:
        wait_for_sites_done(state, 3, child)  # the fast sites are done, the slow one is held
        assert "/slow/" in site.paths()
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        child.kill()
        child.stderr.close()
    assert not out.exists()  # no output, not half of one
    slow.release.set()
    before = Counter(site.paths())
    resumed = subprocess.run(
        [sys.executable, "-m", "commentluv", "backfill", str(path), "--resume", *map(str, options)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["comment_id"] for r in got] == ["0", "1", "2", "slow", "again"]  # each exactly once
    assert all(r["outcome"] == "ok" for r in got)
    after = Counter(site.paths()) - before
    assert set(after) == {"/slow/", "/slow/feed/"}  # only the unfinished site again
    assert all(
        count == 1 for path_, count in Counter(site.paths()).items() if path_.startswith("/f")
    )
    assert "3 done by the earlier run" in resumed.stderr


def test_ctrl_c_keeps_the_progress_and_says_how_to_go_on(tmp_path, site):
    path, slow = interrupted_setup(tmp_path, site)
    state = tmp_path / "state.sqlite3"
    child = start_backfill(path, "--allow-private-hosts", "--no-cache", "--state", state)
    try:
        wait_for_sites_done(state, 3, child)
        child.send_signal(signal.SIGINT)
        slow.release.set()  # the lookup in flight ends; its answer is not used
        assert child.wait(timeout=30) == 130
        err = child.stderr.read()
    finally:
        child.kill()
        child.stderr.close()
    assert "interrupted after 3 of 4 sites" in err and "add --resume to go on" in err
    assert read_state_info(state).sites_done == 3


def test_resume_after_the_input_changed_is_refused(tmp_path, site, capsys):
    path = export(tmp_path, site)
    state = tmp_path / "state.sqlite3"
    assert run(capsys, path, "--allow-private-hosts", "--state", state)[0] == 0
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    status, _, err = run(capsys, path, "--allow-private-hosts", "--state", state, "--resume")
    assert status == 1 and "made for another input or other options" in err


def test_the_default_state_file_goes_once_the_run_is_done(tmp_path, site, capsys, cache_home):
    assert run(capsys, export(tmp_path, site), "--allow-private-hosts", "-q")[0] == 0
    assert list((cache_home / "commentluv" / "backfill").iterdir()) == []


def test_the_summary_counts_in_words():
    from commentluv.backfill.models import Summary

    one = Summary(comments=1, sites=1, sites_looked_up=1, sites_cached=1, seconds=2.0)
    assert backfill_command.summary_lines(one) == [
        "1 comment, 1 site: 1 looked up (1 answered from the cache); 2.0 s, 0.5 sites/s"
    ]
    two = Summary(comments=2, sites=2, sites_looked_up=0, sites_resumed=2, seconds=1.0)
    assert backfill_command.summary_lines(two)[0].startswith(
        "2 comments, 2 sites: 0 looked up (0 answered from the cache), 2 done by the earlier run"
    )


def test_the_closing_line_counts_in_words(tmp_path, capsys):
    comments = tmp_path / "comments.jsonl"
    comments.write_text(json.dumps({"id": "1", "author": "Ann", "url": ""}) + "\n")
    output = tmp_path / "out.jsonl"
    assert main(["backfill", str(comments), "-o", str(output), "--no-cache"]) == 0
    assert f"wrote 1 result to {output}" in capsys.readouterr().err


def _interrupted_on_a_terminal(args, rng):
    """Run the command with stdout and stderr on a terminal, send it Ctrl-C (SIGINT) at a
    random point after it has shown something, sometimes twice; returns (exit status,
    what the terminal showed)."""
    leader, follower = _terminal()
    child = subprocess.Popen(
        [sys.executable, "-m", "commentluv", "backfill", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=os.environ,
    )
    os.close(follower)
    shown = os.read(leader, 65536)  # the first bar or line: the command is running
    time.sleep(rng.uniform(0.0, 1.2))
    child.send_signal(signal.SIGINT)
    if rng.random() < 0.4:
        time.sleep(rng.uniform(0.0, 0.2))
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT)
    shown = _shown_until_closed(leader, shown)
    return child.wait(timeout=60), shown


def test_ctrl_c_at_random_points_then_resume_reports_every_comment_without_a_failure(
    tmp_path, site
):
    # 14 healthy blogs that each take 0.3-0.9 s to answer, 28 comments, 4 lookups at once:
    # an interrupt always finds lookups in flight, and each cut-off lookup must be neither
    # recorded nor remembered by the cache as a failure.
    rng = random.Random(19)
    urls = [loopback_blog(site, f"/b{n}", delay=rng.uniform(0.3, 0.9)) for n in range(14)]
    path = tmp_path / "export.xml"
    path.write_text(
        wxr([wxr_comment(str(n), "C", urls[n % len(urls)]) for n in range(28)]), encoding="utf-8"
    )
    state, out = tmp_path / "state.sqlite3", tmp_path / "links.jsonl"
    args = [path, "--allow-private-hosts", "--state", state, "-o", out, "--jobs", "4", "--resume"]
    statuses = []
    for _ in range(8):
        status, shown = _interrupted_on_a_terminal(args, rng)
        statuses.append(status)
        assert "Traceback" not in shown and "Exception ignored" not in shown, shown
        assert "closed database" not in shown and "cache unavailable" not in shown, shown
        assert "add --resume to go on" in shown, shown
    assert statuses == [130] * 8
    assert not out.exists()  # no output, not half of one
    resumed = subprocess.run(
        [sys.executable, "-m", "commentluv", "backfill", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["comment_id"] for r in got] == [str(n) for n in range(28)]
    assert Counter(r["outcome"] for r in got) == {"ok": 28}, [r["error"] for r in got]


def test_piping_the_output_into_head_ends_quietly(tmp_path, site):
    url = loopback_blog(site, "/ann")
    path = tmp_path / "export.xml"
    # About 600 kB of results: far more than a pipe holds, so the writes meet a closed pipe.
    path.write_text(wxr([wxr_comment(str(n), "Ann", url) for n in range(2000)]), encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "commentluv", "backfill", str(path), "--allow-private-hosts"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ,
    )
    first = child.stdout.readline()  # as `head -1` does: one line, then the pipe is closed
    child.stdout.close()
    err = child.stderr.read().decode()
    child.stderr.close()
    assert json.loads(first)["comment_id"] == "0"
    assert child.wait(timeout=60) == backfill_command.EXIT_BROKEN_PIPE
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception" not in err, err


def test_refresh_looks_up_again_what_the_cache_remembers(tmp_path, site, capsys):
    flaky = loopback_blog(site, "/flaky", status=503)
    path = tmp_path / "export.xml"
    path.write_text(wxr([wxr_comment("1", "F", flaky)]), encoding="utf-8")
    status, out, _ = run(capsys, path, "--allow-private-hosts")
    assert status == 0 and records(out)["1"]["error"] == "http_error"
    loopback_blog(site, "/flaky")  # the site is back
    status, out, _ = run(capsys, path, "--allow-private-hosts")
    assert records(out)["1"]["error"] == "http_error"  # the failure is remembered for a while
    status, out, err = run(capsys, path, "--allow-private-hosts", "--refresh")
    assert status == 0 and records(out)["1"]["outcome"] == "ok"
    assert "1 looked up (0 answered from the cache)" in err


# Blogger and Movable Type inputs


@pytest.mark.parametrize("shape", ["classic", "takeout", "mt"])
def test_blogger_and_movable_type_exports_end_to_end(tmp_path, site, capsys, shape):
    ann, bob = loopback_blog(site, "/ann"), loopback_blog(site, "/bob")
    if shape == "mt":
        path = tmp_path / "export.txt"
        path.write_text(
            mt_entry("One", [mt_comment("Ann", ann, "11/12/2026 08:00:00 PM")])
            + mt_entry("Two", [mt_comment("Bob", bob, "11/25/2026 09:30:00 AM")]),
            encoding="utf-8",
        )
    else:
        takeout = shape == "takeout"
        path = tmp_path / ("feed.atom" if takeout else "blog-11-30-2026.xml")
        entries = [
            blogger_entry(1, "post", "Owner", takeout=takeout),
            blogger_entry(2, "comment", "Ann", ann, "2026-11-12T20:00:00Z", takeout=takeout),
            blogger_entry(3, "comment", "Bob", bob, "2026-11-25T09:30:00Z", takeout=takeout),
        ]
        if takeout:
            spam = blogger_entry(4, "comment", "S", bob, takeout=True, status="SPAM")
            gone = blogger_entry(5, "comment", "G", ann, takeout=True, status="DELETED")
            entries += [spam, gone]
        path.write_text(blogger_export(entries, takeout=takeout), encoding="utf-8")
    status, out, err = run(
        capsys, path, "--allow-private-hosts", "--as-of", "comment-date", "--output-format", "csv"
    )
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    got = [(row["author"], row["outcome"], row["title"]) for row in rows]
    expected = [("Ann", "ok", "Second post"), ("Bob", "ok", "Third post")]
    if shape == "takeout":
        expected.append(("S", "unapproved", ""))  # spam: not looked up; deleted: left out
    assert got == expected
    # Each result names the post its comment was left on.
    post = "tag:blogger.com,1999:blog-1.post-1"
    on_posts = ["One", "Two"] if shape == "mt" else [post] * len(rows)
    assert [row["on_post"] for row in rows] == on_posts
    assert "2 sites: 2 looked up" in err
