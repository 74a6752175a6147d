"""Writing results: JSON Lines, CSV, a WXR copy with commentluv meta, all written whole."""

from __future__ import annotations

import csv
import io
import json

import pytest
from lxml import etree

from commentluv import Post
from commentluv.backfill import (
    RECORD_FIELDS,
    BackfillResult,
    InputError,
    read_wxr,
    save_results,
    write_results,
    write_wxr,
)
from commentluv.backfill.phpserial import loads
from commentluv.backfill.writers import atomic_file
from tests.support.backfill import when, wxr, wxr_comment

POST = Post(
    "Sleep & stress",
    "http://ann.example/s/",
    when("2026-11-10"),
    "http://ann.example/feed/",
    "http://ann.example/",
)


def results():
    return [
        BackfillResult(
            0, "7", "Ann", "ann.example", "http://ann.example/", "ok", "as_of", POST,
            "Ann: Sleep & stress", '<a href="http://ann.example/s/" rel="nofollow ugc">Sleep &amp; stress</a>',
        ),
        BackfillResult(
            1, "8", "Bob", "bob.example", "http://bob.example/", "error",
            error="unreachable", message="the connection was refused",
        ),
    ]  # fmt: skip


def test_jsonl_records_round_trip():
    out = io.StringIO()
    assert write_results(results(), out, "jsonl") == 2
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert list(records[0]) == list(RECORD_FIELDS)
    assert records[0]["published"] == "2026-11-10T00:00:00+00:00"
    assert records[0]["backlink_html"].endswith('rel="nofollow ugc">Sleep &amp; stress</a>')
    assert records[1]["error"] == "unreachable" and records[1]["title"] is None
    again = [BackfillResult.from_record(i, record) for i, record in enumerate(records)]
    assert again == results()


def test_csv_has_a_header_and_empty_cells_for_none():
    out = io.StringIO()
    write_results(results(), out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == list(RECORD_FIELDS)
    assert rows[0]["chosen"] == "as_of" and rows[0]["cached"] == "false"
    assert rows[1]["title"] == "" and rows[1]["error"] == "unreachable"


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "\t=1"]
)
def test_csv_cells_a_spreadsheet_would_run_are_kept_as_text(title):
    post = Post(
        title, "http://ann.example/s/", None, "http://ann.example/feed/", "http://ann.example/"
    )
    result = BackfillResult(
        0, "7", title, "ann.example", "http://ann.example/", "ok", "latest", post
    )
    out = io.StringIO()
    write_results([result], out, "csv")
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["title"] == "'" + title and row["author"] == "'" + title
    assert row["link"] == "http://ann.example/s/"  # ordinary cells are untouched


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("old\n", encoding="utf-8")

    def broken():
        yield results()[0]
        raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        save_results(broken(), path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left
    assert save_results(results(), tmp_path / "out.csv") == 2
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("comment_id,author,")


def test_atomic_file_in_binary_mode(tmp_path):
    with atomic_file(tmp_path / "b.bin", binary=True) as out:
        out.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


# The WXR copy


def export(tmp_path):
    old = 'a:1:{s:7:"outcome";s:5:"stale";}'
    path = tmp_path / "export.xml"
    path.write_text(
        wxr(
            [wxr_comment("7", "Ann", "ann.example", meta={"commentluv": old, "cl_x": "1"})],
            [wxr_comment("8", "Bob", "bob.example")],
        ),
        encoding="utf-8",
    )
    return path


def test_wxr_copy_adds_one_commentluv_meta_per_comment(tmp_path):
    source = export(tmp_path)
    original = source.read_bytes()
    target = tmp_path / "with-backlinks.xml"
    assert write_wxr(source, target, results()) == 2
    assert source.read_bytes() == original
    tree = etree.parse(str(target))
    ns = {
        "wp": "http://wordpress.org/export/1.2/",
        "content": "http://purl.org/rss/1.0/modules/content/",
    }
    values = tree.xpath(
        "//wp:commentmeta[wp:meta_key='commentluv']/wp:meta_value/text()", namespaces=ns
    )
    assert len(values) == 2  # the stale one was replaced
    first, second = (loads(value) for value in values)
    assert first == {
        "outcome": "ok",
        "chosen": "as_of",
        "title": "Sleep & stress",
        "link": "http://ann.example/s/",
        "published": "2026-11-10T00:00:00+00:00",
        "backlink_html": results()[0].backlink_html,
        "error": None,
    }
    assert second["outcome"] == "error" and second["error"] == "unreachable"
    # Everything else is kept: other meta, posts, CDATA, the comments themselves.
    assert tree.xpath("//wp:commentmeta/wp:meta_key/text()", namespaces=ns).count("cl_x") == 1
    assert tree.xpath("//content:encoded/text()", namespaces=ns) == [
        "<p>Post 1 & co</p>",
        "<p>Post 2 & co</p>",
    ]
    assert b"<![CDATA[<p>Post 1 & co</p>]]>" in target.read_bytes()
    assert [c.id for c in read_wxr(target)] == ["7", "8"]
    # Namespaces are declared once, on the root.
    assert target.read_bytes().count(b'xmlns:wp="') == 1


def test_wxr_copy_refuses_its_source_and_results_of_another_file(tmp_path):
    source = export(tmp_path)
    with pytest.raises(InputError, match="may not overwrite its source"):
        write_wxr(source, source, results())
    with pytest.raises(InputError, match="do not belong to this file"):
        write_wxr(source, tmp_path / "out.xml", results()[:1])
    assert not (tmp_path / "out.xml").exists()
