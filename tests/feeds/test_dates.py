"""Dates in every language WordPress writes (issue 22, item 2), slashed dates (item 5), and a
fallback that never invents a date it did not read. Table and property tests, fixture feeds
through both readers, and end to end on 127.0.0.1."""

from __future__ import annotations

import email.utils
import unicodedata
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv import CommentLuv
from commentluv._feeds import parse_posts
from commentluv._feeds.dates import (
    DAY_NAMES,
    MONTH_NAMES,
    fold,
    month_number,
    parse_localized,
    parse_other_spellings,
    plausible,
)
from commentluv._feeds.feedparser import parse_date_fallback
from commentluv._feeds.post import parse_rfc822
from tests.support import FIXTURES

FEEDS = FIXTURES / "feeds"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]  # fmt: skip
REQUIRED = {"de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "no", "fi", "cs", "ru", "tr"}


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# The table


def test_the_table_covers_the_languages_asked_for():
    assert set(MONTH_NAMES) >= REQUIRED and set(DAY_NAMES) >= REQUIRED
    assert all(len(months) == 12 for months in MONTH_NAMES.values())
    assert all(len(days) == 7 for days in DAY_NAMES.values())


def test_no_written_month_name_means_two_months():
    meanings: dict[str, set[int]] = {}
    for months in MONTH_NAMES.values():
        for number, forms in enumerate(months, 1):
            for form in forms.split():
                meanings.setdefault(fold(form), set()).add(number)
    assert {form: numbers for form, numbers in meanings.items() if len(numbers) > 1} == {}


@pytest.mark.parametrize("number", range(1, 13))
def test_no_english_month_name_or_prefix_reads_as_another_month(number):
    name = ENGLISH_MONTHS[number - 1]
    for end in range(3, len(name) + 1):
        for spelling in (name[:end], name[:end].upper(), name[:end].lower() + "."):
            assert month_number(spelling) == number, spelling


@pytest.mark.parametrize("language", sorted(MONTH_NAMES))
def test_every_form_in_any_case_with_or_without_accents_and_dots(language):
    for number, forms in enumerate(MONTH_NAMES[language], 1):
        for form in forms.split():
            for spelling in (form, form.upper(), form.capitalize() + ".", strip_accents(form)):
                assert month_number(spelling) == number, (language, spelling)


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30)))
def test_an_english_rfc_822_date_reads_the_same(moment):
    written = email.utils.format_datetime(moment.replace(tzinfo=timezone.utc))
    assert (
        parse_localized(written)
        == parse_rfc822(written)
        == moment.replace(microsecond=0, tzinfo=timezone.utc)
    )
    long_month = written.replace(written.split()[2], ENGLISH_MONTHS[moment.month - 1])
    assert parse_other_spellings(long_month) == parse_rfc822(written)


@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30)),
    st.sampled_from(["+", "-"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.booleans(),
)
def test_an_rfc_822_date_with_an_offset_reads_as_the_email_parser_reads_it(
    moment, sign, hours, minutes, weekday
):
    written = moment.strftime(f"%d %b %Y %H:%M:%S {sign}{hours:02d}{minutes:02d}")
    if weekday:
        written = moment.strftime("%a, ") + written
    parsed = email.utils.parsedate_to_datetime(written)
    if parsed.tzinfo is None:  # "-0000": UTC, the email parser says naive
        parsed = parsed.replace(tzinfo=timezone.utc)
    assert parse_rfc822(written) == parsed.astimezone(timezone.utc)


@pytest.mark.parametrize(
    "written",
    ["01 Jux 2024 10:00:00 GMT", "01 jun 2024 10:00:00 GMT", "31 Feb 2024 10:00:00 GMT",
     "01 Jun 2024 10:00:00 +02", "01 Jun 2024 10:00 GMT", "01 Jan 0001 00:00:00 +0100"],
)  # fmt: skip
def test_other_rfc_822_spellings_and_impossible_dates_are_none(written):
    assert parse_rfc822(written) is None


# Localized dates


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Mi, 03 Dez 2025 18:30:00 +0100", utc(2025, 12, 3, 17, 30)),
        ("mar., 4 févr. 2025", utc(2025, 2, 4)),
        ("Sáb, 01 Mar 2025", utc(2025, 3, 1)),
        ("ven, 14 mar 2025", utc(2025, 3, 14)),
        ("Do, 6 Mär 2025", utc(2025, 3, 6)),
        ("gio, 10 lug 2025 09:15:00 +0200", utc(2025, 7, 10, 7, 15)),
        ("Qua, 05 Fev 2025 10:00:00 -0300", utc(2025, 2, 5, 13)),
        ("wo, 12 mrt 2025 10:00:00 +0100", utc(2025, 3, 12, 9)),
        ("śr., 5 lut 2025 10:00:00 +0100", utc(2025, 2, 5, 9)),
        ("tors, 6 feb 2025 10:00:00 +0100", utc(2025, 2, 6, 9)),
        ("lør, 8 feb 2025 10:00:00 +0100", utc(2025, 2, 8, 9)),
        ("ti, 11 helmi 2025 10:00:00 +0200", utc(2025, 2, 11, 8)),
        ("čt, 6 úno 2025 10:00:00 +0100", utc(2025, 2, 6, 9)),
        ("Чт, 06 февр. 2025 10:00:00 +0300", utc(2025, 2, 6, 7)),
        ("Per, 06 Şub 2025 10:00:00 +0300", utc(2025, 2, 6, 7)),
        ("PER, 06 SUB 2025 10:00:00 +0300", utc(2025, 2, 6, 7)),
        ("Dienstag, 4. Februar 2025 08:00:00 MEZ", utc(2025, 2, 4, 7)),
    ],
)
def test_localized_dates(written, expected):
    assert parse_other_spellings(written) == expected


@pytest.mark.parametrize(
    "written",
    [
        "Mi, 31 Feb 2025 10:00:00 +0100",  # no such day
        "Xy, 03 Dez 2025 10:00:00 +0100",  # not a day name
        "Mi, 03 Dezzz 2025",  # not a month
        "Mi, 03 Dez 2025 10:00:00 XYZ",  # a zone nobody names
        "03 Ju 2025",  # two letters say too little
        "Dez 2025",
    ],
)
def test_what_stays_unreadable(written):
    assert parse_other_spellings(written) is None


# Slashed dates and a fallback that invents nothing (item 5)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2020/1/10 14:33:00", utc(2020, 1, 10, 14, 33)),
        ("2020/01/10", utc(2020, 1, 10)),
        ("2020/1/10 14:33", utc(2020, 1, 10, 14, 33)),
        ("2020/1/10 14:33:00 +0200", utc(2020, 1, 10, 12, 33)),
    ],
)
def test_slashed_dates(written, expected):
    assert parse_other_spellings(written) == expected


@pytest.mark.parametrize("written", ["2020/1/10 14:33:00", "2020/01/10", "Sunday, 2 June"])
def test_the_fallback_invents_no_date(written):
    assert parse_date_fallback(written) in (None, parse_other_spellings(written))


def test_plausible_allows_a_zone_shift_and_refuses_an_invention():
    assert plausible(utc(2024, 6, 2, 3), "Sat, 1 Jun 2024 22:00:00 EST") is not None
    assert plausible(utc(2020, 12, 1), "2020/1/10 14:33:00") is None
    assert plausible(utc(2026, 6, 2), "Sunday, 2 June") is None  # no year was written


# Feeds: both readers (test_fastfeed compares them on every fixture), then a real server


@pytest.mark.parametrize(
    ("name", "title", "published"),
    [
        ("localized_de_rss.xml", "Der neueste Beitrag", utc(2025, 12, 3, 17, 30)),
        ("localized_fr_latin1_rss.xml", "Le dernier billet", utc(2025, 3, 14, 9)),
        ("slashed_dates_rss.xml", "From March", utc(2020, 3, 2, 8, 5)),
    ],
)
def test_the_newest_post_of_a_feed_not_in_date_order(name, title, published):
    posts = parse_posts((FEEDS / name).read_bytes(), feed_url="https://site.example/feed/",
                        site_url="https://site.example/", now=NOW)  # fmt: skip
    assert (posts[0].title, posts[0].published) == (title, published)
    assert all(post.published is not None for post in posts)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("localized_de_rss.xml", "Der neueste Beitrag"),
        ("localized_fr_latin1_rss.xml", "Le dernier billet"),
        ("slashed_dates_rss.xml", "From March"),
    ],
)
def test_end_to_end_the_newest_post_of_a_localized_feed(site, name, title):
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
    site.add("/", page + "<body></body></html>")
    site.add("/feed/", (FEEDS / name).read_bytes(),
             headers={"Content-Type": "application/rss+xml"})  # fmt: skip
    with CommentLuv(allow_private_hosts=True) as luv:
        assert luv.latest(site.url + "/").title == title
