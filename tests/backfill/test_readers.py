"""Reading comments: WXR (any version, cl_data, hostile documents), CSV and JSON Lines."""

from __future__ import annotations

import json
from datetime import timezone

import pytest

from commentluv.backfill import (
    Columns,
    Comment,
    InputError,
    detect_format,
    read_comments,
    read_csv,
    read_jsonl,
    read_wxr,
)
from commentluv.backfill.readers import parse_date
from tests.support.backfill import cl_data, when, wxr, wxr_comment


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# WXR


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_wxr_comments_of_every_item_in_order_for_any_version(tmp_path, version):
    path = write(
        tmp_path,
        "export.xml",
        wxr(
            [wxr_comment("7", "Ann", "http://ann.example/", "2009-05-14 18:23:45")],
            [
                wxr_comment("8", "Bob", "bob.example", approved="0"),
                wxr_comment("9", "Pinger", "http://ping.example/x", comment_type="pingback"),
            ],
            version=version,
        ),
    )
    comments = list(read_wxr(path))
    assert [c.id for c in comments] == ["7", "8", "9"]
    assert comments[0] == Comment(
        id="7",
        author="Ann",
        url="http://ann.example/",
        date=when("2009-05-14 18:23:45"),
        on_post="1",
    )
    assert comments[1].approved is False and comments[2].comment_type == "pingback"
    assert [c.on_post for c in comments] == ["1", "2", "2"]  # each item's <wp:post_id>


def test_wxr_keeps_the_original_plugins_backlink_cleaned(tmp_path):
    meta = {
        "cl_data": cl_data("<b>Sleep &amp; stress</b>\u202e", "http://ann.example/sleep/#top"),
        "akismet_result": "false",
    }
    path = write(tmp_path, "e.xml", wxr([wxr_comment("1", "Ann", "ann.example", meta=meta)]))
    (comment,) = read_wxr(path)
    assert comment.historical is not None
    assert comment.historical.title == "Sleep & stress"  # tags, entities, bidi controls gone
    assert comment.historical.link == "http://ann.example/sleep/#top"
    assert comment.historical.site_url == "http://ann.example/"


@pytest.mark.parametrize(
    "value",
    [
        cl_data("Title", "javascript:alert(1)"),  # not http(s)
        cl_data("Title", "data:text/html,x"),
        cl_data("   ", "http://ann.example/p/"),  # nothing left of the title
        cl_data("<script>x</script>", "http://ann.example/p/"),
        'O:8:"stdClass":2:{s:13:"cl_post_title";s:1:"x";s:11:"cl_post_url";s:1:"y";}',
        'a:2:{s:13:"cl_post_title";s:99:"short";s:11:"cl_post_url";s:3:"abc";}',  # wrong count
        "a:1:{i:0;" * 500 + "N;" + "}" * 500,  # deep
        'a:999999999:{s:1:"x";}',  # huge count
        's:5:"plain";',  # not an array
        'a:2:{s:13:"cl_post_title";i:5;s:11:"cl_post_url";b:1;}',  # wrong types
        "not serialized at all",
    ],
)
def test_unusable_cl_data_is_skipped_never_fatal(tmp_path, value):
    path = write(
        tmp_path, "e.xml", wxr([wxr_comment("1", "Ann", "ann.example", meta={"cl_data": value})])
    )
    (comment,) = read_wxr(path)
    assert comment.historical is None  # so the site is looked up instead


def test_wxr_falls_back_to_the_local_date_when_gmt_is_zero(tmp_path):
    text = wxr([wxr_comment("1", "Ann", "ann.example", "0000-00-00 00:00:00")]).replace(
        "<wp:comment_date>0000-00-00 00:00:00", "<wp:comment_date>2010-02-03 04:05:06"
    )
    (comment,) = read_wxr(write(tmp_path, "e.xml", text))
    assert comment.date == when("2010-02-03 04:05:06")


def test_a_wxr_without_ids_numbers_its_comments(tmp_path):
    text = wxr([wxr_comment("", "A", "a.example"), wxr_comment("", "B", "b.example")])
    assert [c.id for c in read_wxr(write(tmp_path, "e.xml", text))] == ["1", "2"]


def test_entity_declarations_are_refused_and_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    base = wxr([wxr_comment("1", "&lol9;&ext;", "ann.example")])
    laughs = (
        '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol9 "'
        + "&lol;" * 10
        + f'"><!ENTITY ext SYSTEM "file://{secret}">]>'
    )
    path = write(tmp_path, "e.xml", base.replace("?>\n", "?>\n" + laughs + "\n", 1))
    with pytest.raises(InputError, match="DOCTYPE is refused"):
        list(read_wxr(path))


def test_malformed_xml_is_an_input_error_with_the_line(tmp_path):
    text = wxr([wxr_comment("1", "A", "a.example")]).replace("</channel>", "\n\n</chanel>")
    with pytest.raises(
        InputError, match=r"e\.xml:4: not well-formed XML: Opening and ending tag mismatch"
    ):
        list(read_wxr(write(tmp_path, "e.xml", text)))


def test_other_elements_in_a_wxr_namespace_lookalike_are_not_comments(tmp_path):
    text = wxr([wxr_comment("1", "A", "a.example")]).replace(
        "<wp:post_id>",
        '<x:comment xmlns:x="http://example.com/export/1.2/">no</x:comment><wp:post_id>',
    )
    assert [c.id for c in read_wxr(write(tmp_path, "e.xml", text))] == ["1"]


# CSV


def test_csv_with_the_usual_column_names(tmp_path):
    path = write(
        tmp_path,
        "c.csv",
        "\ufeffComment_ID,Author,Website,Date\n"
        "5,Ann,http://ann.example/,2026-11-15T12:00:00Z\n"
        ",,,\n"
        '6,"Bob, Jr.",bob.example,2026-11-16 08:00\n'
        "7,Cy,,\n",
    )
    comments = list(read_csv(path))
    assert [(c.id, c.author, c.url) for c in comments] == [
        ("5", "Ann", "http://ann.example/"),
        ("6", "Bob, Jr.", "bob.example"),
        ("7", "Cy", ""),
    ]
    assert comments[0].date == when("2026-11-15 12:00") and comments[1].date.tzinfo is not None
    assert comments[2].date is None and all(c.approved for c in comments)


def test_csv_columns_can_be_named_and_ids_default_to_the_row(tmp_path):
    path = write(
        tmp_path, "c.csv", "who,home,when,cl_data\nAnn,ann.example,2026-01-02,\nBob,b.example,,\n"
    )
    comments = list(read_csv(path, Columns(name="Who", url="home", date="when")))
    assert [(c.id, c.author, c.url, c.date) for c in comments] == [
        ("1", "Ann", "ann.example", when("2026-01-02")),
        ("2", "Bob", "b.example", None),
    ]


def test_csv_without_a_url_column_or_with_a_missing_named_one(tmp_path):
    path = write(tmp_path, "c.csv", "name,homepage\nAnn,ann.example\n")
    with pytest.raises(InputError, match=r"no URL column.*--url-column"):
        list(read_csv(path))
    with pytest.raises(InputError, match="no column 'site'"):
        list(read_csv(path, Columns(url="site")))


def test_csv_errors_name_the_line(tmp_path):
    path = write(tmp_path, "c.csv", "url\na.example\n" + '"' + "x" * 200_000 + '"\n')
    with pytest.raises(InputError, match=r"c\.csv:\d+: field larger than field limit"):
        list(read_csv(path))


# JSON Lines


def test_jsonl_with_cl_data_as_text_or_object(tmp_path):
    lines = [
        {"id": 1, "author": "Ann", "url": "ann.example", "date": "2026-11-15T12:00:00+02:00"},
        {},
        {
            "name": "Bob",
            "website": "bob.example",
            "cl_data": cl_data("Old", "http://bob.example/o/"),
        },
        {
            "author": "Cy",
            "url": "cy.example",
            "cl_data": {"cl_post_title": "T", "cl_post_url": "https://cy.example/t"},
        },
        {"author": "Di", "url": "di.example", "approved": False, "type": "trackback"},
    ]
    text = (
        "\n".join(json.dumps(line) for line in lines[:1])
        + "\n\n"
        + "\n".join(json.dumps(line) for line in lines[1:])
    )
    comments = list(read_jsonl(write(tmp_path, "c.jsonl", text + "\n")))
    assert [c.id for c in comments] == ["1", "3", "4", "5", "6"]
    assert comments[0].date.astimezone(timezone.utc) == when("2026-11-15 10:00")
    assert (
        comments[2].historical.title == "Old"
        and comments[3].historical.link == "https://cy.example/t"
    )
    assert comments[4].approved is False and comments[4].comment_type == "trackback"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json}\n", "c.jsonl:1: not JSON"),
        ('{"url": "a"}\n[1, 2]\n', "c.jsonl:2: each line must be a JSON object"),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        list(read_jsonl(write(tmp_path, "c.jsonl", text)))


def test_a_jsonl_line_too_long_is_refused_without_reading_it_whole(tmp_path):
    path = write(tmp_path, "c.jsonl", '{"url": "' + "a" * (2 * 1024 * 1024) + '"}\n')
    with pytest.raises(InputError, match="longer than"):
        list(read_jsonl(path))


# Format and dates


def test_format_by_extension_or_given(tmp_path):
    assert [detect_format(n) for n in ("a.xml", "b.WXR", "c.csv", "d.jsonl", "e.ndjson")] == [
        "wxr",
        "wxr",
        "csv",
        "jsonl",
        "jsonl",
    ]
    with pytest.raises(InputError, match="cannot tell the format"):
        detect_format("comments.txt")
    path = write(tmp_path, "comments.txt", '{"url": "a.example"}\n')
    assert [c.url for c in read_comments(path, "jsonl")] == ["a.example"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009-05-14 18:23:45", when("2009-05-14 18:23:45")),
        ("2009-05-14T18:23:45Z", when("2009-05-14 18:23:45")),
        ("2009-05-14", when("2009-05-14")),
        ("0000-00-00 00:00:00", None),
        ("", None),
        ("yesterday", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected
