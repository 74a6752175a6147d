"""Reading Blogger exports: the classic Atom export and Google Takeout's feed.atom (sample
exports in tests/fixtures/backfill), removed and spam comments, hostile documents."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from commentluv.backfill import Comment, InputError, detect_format, read_blogger, read_comments
from tests.support import FIXTURES
from tests.support.backfill import blogger_entry, blogger_export

CLASSIC = FIXTURES / "backfill" / "blogger-classic.xml"
TAKEOUT = FIXTURES / "backfill" / "blogger-takeout.atom"
POST = "tag:blogger.com,1999:blog-7001.post-100"  # the post every sample comment is on


def at(text, hours=0):
    return datetime.fromisoformat(text).replace(tzinfo=timezone(timedelta(hours=hours)))


def test_the_classic_export_reads_the_comments_of_posts_and_nothing_else():
    comments = list(read_blogger(CLASSIC))
    # Settings, the template and the post are entries too, of other kinds; Cy removed his.
    assert comments == [
        Comment(
            id="tag:blogger.com,1999:blog-7001.post-101",
            author="Ann",
            url="http://ann.example/",
            date=at("2009-05-15T08:00:00", -7),
            on_post=POST,
        ),
        Comment(
            # A Blogger profile rather than a blog: looked up all the same.
            id="tag:blogger.com,1999:blog-7001.post-102",
            author="Bob",
            url="http://www.blogger.com/profile/98765432109876543210",
            date=at("2009-06-01T21:10:00", 2),
            on_post=POST,
        ),
        Comment(
            id="tag:blogger.com,1999:blog-7001.post-104",
            author="Anonymous",
            url="",
            date=at("2009-06-03T12:00:00", -7),
            on_post=POST,
        ),
    ]


def test_the_takeout_export_reads_the_same_comments_and_marks_spam_unapproved(caplog):
    caplog.set_level("INFO", logger="commentluv")
    comments = list(read_blogger(TAKEOUT))
    assert [(c.id.rpartition("-")[2], c.author, c.url, c.approved) for c in comments] == [
        ("101", "Ann", "http://ann.example/", True),
        ("102", "Bob", "https://www.blogger.com/profile/98765432109876543210", True),
        ("104", "Cheap pills", "http://spam.example/", False),  # SPAM: not looked up
        ("105", "Anonymous", "", True),
    ]
    assert comments[0].date == at("2009-05-15T15:00:00")
    assert {c.on_post for c in comments} == {POST}
    assert "1 removed comments left out" in caplog.text  # Cy's DELETED one


def test_both_shapes_are_told_from_their_start_whatever_the_name(tmp_path):
    assert detect_format(CLASSIC) == "blogger"  # .xml, but an Atom feed
    assert detect_format(TAKEOUT) == "blogger"
    renamed = tmp_path / "backup.xml"
    renamed.write_bytes(TAKEOUT.read_bytes())
    assert [c.author for c in read_comments(renamed)][:2] == ["Ann", "Bob"]


def test_a_doctype_and_its_entities_are_refused_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    text = CLASSIC.read_text(encoding="utf-8").replace(
        "<?xml-stylesheet",
        f'<!DOCTYPE feed [<!ENTITY ext SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaa">]>\n'
        "<?xml-stylesheet",
    )
    path = tmp_path / "hostile.xml"
    path.write_text(text.replace("<name>Ann</name>", "<name>&ext;&a;</name>"), encoding="utf-8")
    with pytest.raises(InputError, match="DOCTYPE is refused"):
        list(read_blogger(path))


def test_a_huge_field_is_refused_cleanly(tmp_path):
    path = tmp_path / "huge.atom"
    text = TAKEOUT.read_text(encoding="utf-8")
    head, tail = text.split("Same in Denver!")
    with open(path, "w", encoding="utf-8") as out:
        out.write(head)
        for _ in range(11):  # 11 MB in one text node: over lxml's 10 MB limit
            out.write("x" * 1024 * 1024)
        out.write(tail)
    with pytest.raises(InputError, match=r"huge\.atom:.*not well-formed XML"):
        list(read_blogger(path))


def test_malformed_atom_is_an_input_error_with_the_line(tmp_path):
    path = tmp_path / "cut.atom"
    path.write_text(TAKEOUT.read_text(encoding="utf-8")[:1500], encoding="utf-8")
    with pytest.raises(InputError, match=r"cut\.atom:\d+: not well-formed XML"):
        list(read_blogger(path))


@pytest.mark.parametrize(
    ("status", "read_as"),
    [
        ("LIVE", "approved"),
        ("SPAM", "unapproved"),
        ("PENDING", "unapproved"),
        ("EMPTIED", "left out"),
        ("DELETED", "left out"),
        ("SOFT_TRASHED", "left out"),
    ],
)
def test_takeout_comment_statuses(tmp_path, status, read_as):
    entry = blogger_entry(2, "comment", "Ann", "http://ann.example/", takeout=True, status=status)
    path = tmp_path / "feed.atom"
    path.write_text(blogger_export([entry], takeout=True), encoding="utf-8")
    comments = list(read_blogger(path))
    if read_as == "left out":
        assert comments == []
    else:
        assert [c.approved for c in comments] == [read_as == "approved"]
