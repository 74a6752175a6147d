"""Tests for commentluv._shared.text: the one cleaning rule for every untrusted value."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commentluv._shared.text import clean_text

# What would open a tag in HTML: "<" + a letter, "</", "<!" or "<?".
TAG_OPENER_RE = re.compile(r"<[A-Za-z/!?]")


@pytest.mark.parametrize("markup", [False, True])
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>Bold</b> move", "Bold move"),
        ("#<span>rust</span>", "#rust"),  # inline tags join words
        ("one<p>two", "one two"),  # other tags separate them
        ("Hi <script>alert(1)</script>there", "Hi there"),
        ("Hi <style>p{}</style>there", "Hi there"),
        ("Hi <script>never closed", "Hi"),
        ("Unclosed <b onmouseover=x", "Unclosed"),
        ("a <!-- note --> b <?php x ?> c <!DOCTYPE html> d", "a b c d"),
        ("end </ b> tag </>", "end tag"),
        ("<<b>b>x", "x"),  # removing the inner <b> makes another: it goes too
        ("<<<i>i>i>x", "x"),
        ("<\u200bb>hidden", "hidden"),  # invisible characters cannot hide a tag
        ("<![CDATA[<img src=x onerror=alert(1)>]]>kept", "kept"),
        ("3 < 5 but 7 > 2", "3 < 5 but 7 > 2"),  # not shaped like a tag
        ("x<3 and <=", "x<3 and <="),
        ("  many\n\t spaces  ", "many spaces"),
    ],
)
def test_tag_shaped_text_is_removed_whatever_the_source(
    raw: str, expected: str, markup: bool
) -> None:
    assert clean_text(raw, markup=markup) == expected


@pytest.mark.parametrize("markup", [False, True])
def test_deep_nesting_leaves_no_tag_either(markup: bool) -> None:
    # Past a few passes, each "<" that still opens a tag is dropped.
    cleaned = clean_text("<" * 1_000 + "b>" * 1_000 + "x", markup=markup)
    assert not TAG_OPENER_RE.search(cleaned)
    assert cleaned.startswith("b>")


def test_only_markup_has_its_entities_decoded() -> None:
    assert clean_text("AT&amp;T &lt;b&gt;", markup=False) == "AT&amp;T &lt;b&gt;"
    assert clean_text("AT&amp;T", markup=True) == "AT&T"
    # Decoding cannot smuggle a tag in: what it makes is removed too.
    assert clean_text("&lt;b&gt;Bold&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;", markup=True) == (
        "Bold"
    )


def test_the_result_is_capped_on_a_word_boundary() -> None:
    cleaned = clean_text("<b>word</b> " * 100, 50)
    assert len(cleaned) <= 50
    assert cleaned.endswith("…")
    assert "<" not in cleaned


PIECES = st.sampled_from(
    [*"ab <>/!?&;#=\"' \u200b\u202e\x00\n", "<b>", "</b>", "<script>", "</script>", "<!--",
     "-->", "&lt;", "&gt;", "&amp;", "<![CDATA[", "]]>", "<style", "<?", "</"]
)  # fmt: skip


@given(st.lists(PIECES, max_size=40).map("".join), st.booleans())
def test_no_tag_survives_and_cleaning_twice_changes_nothing(raw: str, markup: bool) -> None:
    cleaned = clean_text(raw, markup=markup)
    assert not TAG_OPENER_RE.search(cleaned)
    assert cleaned == cleaned.strip()
    assert "\u200b" not in cleaned and "\x00" not in cleaned and "\n" not in cleaned
    assert clean_text(cleaned, markup=False) == cleaned


PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@example("Two  spaces", False)
@example("AT&amp;T &lt;b&gt;", True)
@example(" Ends ", True)
@example("Tab\there", False)
@example("x<b>y</b>", False)
@example("Long title " * 9, False)
@given(st.text(alphabet=PRINTABLE_ASCII) | st.text(), st.booleans())
def test_plain_titles_take_a_shortcut_to_the_same_answer(raw: str, markup: bool) -> None:
    from commentluv._shared.text import _clean

    assert clean_text(raw, 40, markup=markup) == _clean(raw, 40, markup)
