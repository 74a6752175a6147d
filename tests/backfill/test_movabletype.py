"""Reading Movable Type / TypePad exports (the sample in tests/fixtures/backfill): comments
and TrackBacks with their fields, dates, and hostile files."""

from __future__ import annotations

import pytest

from commentluv.backfill import Comment, InputError, detect_format, read_movable_type
from commentluv.backfill.movabletype import parse_mt_date
from tests.support import FIXTURES
from tests.support.backfill import mt_comment, mt_entry, when

SAMPLE = FIXTURES / "backfill" / "movabletype.txt"


def test_the_comments_of_every_entry_with_their_fields_and_numbers():
    comments = list(read_movable_type(SAMPLE))
    first, second = "oolong_at_altitude", "second_steeping"  # each entry's BASENAME
    assert comments == [
        Comment("1", "Ann", "http://ann.example/", when("2009-05-15 08:00"), on_post=first),
        Comment("2", "Bob", "bob.example", when("2009-06-01 21:10"), on_post=first),
        Comment("3", "Anonymous", "", when("2009-06-03 12:00"), on_post=first),
        Comment(
            "4",
            "The Roundup",
            "http://roundup.example/2009/06/tea/",
            when("2009-06-04 07:30"),
            comment_type="trackback",  # a TrackBack: not a comment, never looked up
            on_post=first,
        ),
        Comment("5", "Ann", "http://ann.example/", when("2009-07-02 00:15"), on_post=second),
    ]


def test_an_entry_without_a_basename_is_named_by_its_title(tmp_path):
    path = tmp_path / "e.txt"
    path.write_text(mt_entry("Hello & welcome", [mt_comment("A", "a.example")]), encoding="utf-8")
    assert [c.on_post for c in read_movable_type(path)] == ["Hello & welcome"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/14/2009 06:23:45 PM", when("2009-05-14 18:23:45")),
        ("05/14/2009 12:00:00 AM", when("2009-05-14 00:00")),
        ("05/14/2009  06:23:45  pm", when("2009-05-14 18:23:45")),
        ("05/14/2009 18:23:45", when("2009-05-14 18:23:45")),
        ("14/05/2009 06:23:45 PM", None),
        ("", None),
    ],
)
def test_dates(text, expected):
    assert parse_mt_date(text) == expected


def test_the_format_is_told_from_the_start_of_a_text_file(tmp_path):
    assert detect_format(SAMPLE) == "mt"
    notes = tmp_path / "notes.txt"
    notes.write_text("Dear diary,\n-----\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format(notes)


def test_crlf_line_ends_and_a_file_cut_short_after_a_comments_fields(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").split("Same in Denver!")[0]
    path = tmp_path / "cut.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    assert [(c.author, c.url) for c in read_movable_type(path)] == [("Ann", "http://ann.example/")]


def test_a_huge_text_line_is_skipped_and_a_huge_field_refused(tmp_path):
    huge = "x" * (3 * 1024 * 1024)
    path = tmp_path / "long-body.txt"
    path.write_text(
        SAMPLE.read_text(encoding="utf-8").replace("<p>Water boils early up here.</p>", huge),
        encoding="utf-8",
    )
    assert len(list(read_movable_type(path))) == 5  # a post's text on one line: skipped
    path = tmp_path / "long-field.txt"
    path.write_text(
        SAMPLE.read_text(encoding="utf-8").replace("AUTHOR: Bob", f"AUTHOR: {huge}"),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"long-field\.txt:\d+: a field line longer than"):
        list(read_movable_type(path))


def test_text_that_is_not_utf8_is_an_input_error_with_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(SAMPLE.read_bytes().replace(b"AUTHOR: Bob", b"AUTHOR: Bj\xf6rn"))
    with pytest.raises(InputError, match=r"latin1\.txt:\d+: not UTF-8 text"):
        list(read_movable_type(path))
