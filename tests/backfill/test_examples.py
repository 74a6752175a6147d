"""The backfill demo runs offline against the sample blog, for both sample inputs."""

from __future__ import annotations

import json

import pytest

from tests.support.examples import EXAMPLES
from tests.support.examples import load_example as load


def test_the_sample_export_backfills_offline(capsys):
    demo = load("backfill_demo")
    assert demo.run(str(EXAMPLES / "backfill" / "comments.wxr"), ["--as-of", "comment-date"]) == 0
    out, err = capsys.readouterr()
    got = {r["comment_id"]: r for r in map(json.loads, out.splitlines())}
    assert {key: (r["outcome"], r["chosen"], r["error"]) for key, r in got.items()} == {
        "501": ("ok", "as_of", None),
        "502": ("ok", "historical", None),  # the old plugin's cl_data
        "503": ("unapproved", None, None),
        "511": ("ok", "as_of", None),
        "512": ("error", None, "unreachable"),  # cl_data with a javascript: link is not used
        "513": ("no_url", None, None),
        "514": ("not_a_comment", None, None),
        "401": ("no_post_at_date", None, None),
    }
    assert got["501"]["title"] == "Sleep, Stress & the 3 A.M. Wake-Up"
    assert got["511"]["title"] == "Addictions…You Can Overcome Them"
    assert got["502"]["backlink"] == ".-= Marta's last blog ..Ten Years of Slow Running =-."
    assert "8 comments, 2 sites: 2 looked up" in err


def test_the_sample_csv_backfills_offline(capsys, tmp_path):
    demo = load("backfill_demo")
    out = tmp_path / "links.csv"
    assert demo.run(str(EXAMPLES / "backfill" / "comments.csv"), ["-o", str(out), "-q"]) == 0
    assert capsys.readouterr().out == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and lines[0].startswith("comment_id,author,url,site,outcome")
    assert ",ok,latest,Addictions…You Can Overcome Them," in lines[1]
    assert ",error,,,,,,,,unreachable," in lines[3]


@pytest.mark.parametrize("name", ["comments.atom", "comments-movabletype.txt"])
def test_the_sample_blogger_and_movable_type_exports_backfill_offline(capsys, name):
    demo = load("backfill_demo")
    assert demo.run(str(EXAMPLES / "backfill" / name), ["--as-of", "comment-date"]) == 0
    out, err = capsys.readouterr()
    got = [(r["author"], r["outcome"], r["title"]) for r in map(json.loads, out.splitlines())]
    expected = [
        ("Jaden Daniels", "ok", "Sleep, Stress & the 3 A.M. Wake-Up"),
        ("Jaden Daniels", "ok", "Addictions…You Can Overcome Them"),
        ("Anonymous", "no_url", None),
    ]
    if name.endswith(".atom"):
        expected.insert(1, ("Cheap Pills", "unapproved", None))  # spam; the deleted one: gone
    else:
        expected.append(("Kitchen Roundup", "not_a_comment", None))  # a TrackBack
    assert got == expected
    assert "1 site: 1 looked up" in err
