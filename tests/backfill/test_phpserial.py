"""PHP unserialize, safely: the values WordPress meta holds, and nothing that builds objects."""

from __future__ import annotations

import contextlib
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv.backfill.phpserial import MAX_BYTES, PHPSerializationError, dumps, loads

CL_DATA = (
    'a:3:{s:13:"cl_post_title";s:29:"Addictions…You Can Overcome";'
    's:11:"cl_post_url";s:28:"http://jaden.example/addict/";s:7:"cl_prem";N;}'
)


def test_reads_the_original_plugins_cl_data():
    assert loads(CL_DATA) == {
        "cl_post_title": "Addictions…You Can Overcome",
        "cl_post_url": "http://jaden.example/addict/",
        "cl_prem": None,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("N;", None),
        ("b:1;", True),
        ("b:0;", False),
        ("i:-42;", -42),
        ("i:+7;", 7),
        ("d:0.5;", 0.5),
        ("d:1.0E+25;", 1e25),
        ("d:-INF;", -math.inf),
        ('s:0:"";', ""),
        ('s:2:"é";', "é"),  # PHP counts UTF-8 bytes
        ('s:4:"a";b";', 'a";b'),  # the length decides, not the quote
        ("a:0:{}", {}),
        ('a:2:{i:0;s:1:"x";i:5;a:1:{s:1:"k";b:1;}}', {0: "x", 5: {"k": True}}),
        ("a:2:{i:0;i:1;i:0;i:2;}", {0: 2}),  # a repeated key keeps the last value
    ],
)
def test_reads_each_type(text, value):
    assert loads(text) == value
    assert loads(text.encode("utf-8")) == value


def test_nan_reads_as_nan():
    assert math.isnan(loads("d:NAN;"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('O:8:"stdClass":1:{s:1:"a";i:1;}', "objects are refused"),
        ('a:1:{i:0;O:8:"stdClass":0:{}}', "objects are refused"),
        ('C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}', "objects are refused"),
        ('E:7:"Foo:Bar";', "enums are refused"),
        ("a:2:{i:0;i:1;i:1;r:2;}", "references are refused"),
        ("a:2:{i:0;i:1;i:1;R:2;}", "references are refused"),
        ('S:1:"\\61";', "escaped strings are refused"),
        ('s:1:"é";', "does not end where its length says"),  # a character count, not bytes
        ('s:3:"é";', "does not end where its length says"),
        ('s:1:"\xff";'.encode("latin-1"), "not UTF-8"),
        ('s:99999999999:"x";', "string length 9999999999 is more than"),
        ('s:999999:"x";', "more than the data left can hold"),
        ("a:1000000000:{}", "more than the data left can hold"),
        ("a:1:{d:0.5;i:1;}", "array keys must be"),
        ("a:1:{N;i:1;}", "array keys must be"),
        ("i:9223372036854775808;", "out of the 64-bit range"),
        ("i:12345678901234567890;", "out of the 64-bit range"),
        ("i:1;i:2;", "unexpected data after"),
        ("b:2;", "expected 0 or 1"),
        ("i:;", "expected a whole number"),
        ("x:1;", "unknown type"),
        ("", "unexpected end"),
        ("a:1:{i:0;", "unexpected end"),
        ('s:5:"abc', "does not end where"),
    ],
)
def test_refuses_with_a_typed_error(text, reason):
    with pytest.raises(PHPSerializationError, match=reason):
        loads(text)


def test_deep_nesting_is_refused_fast_without_recursion_errors():
    deep = "a:1:{i:0;" * 20_000 + "N;" + "}" * 20_000
    started = time.perf_counter()
    with pytest.raises(PHPSerializationError, match="nested deeper than 16"):
        loads(deep, max_bytes=len(deep))
    assert time.perf_counter() - started < 0.5
    assert loads("a:1:{i:0;" * 16 + "N;" + "}" * 16) is not None


def test_input_over_the_byte_cap_is_refused_before_reading():
    huge = f's:{MAX_BYTES}:"{"x" * MAX_BYTES}";'
    with pytest.raises(PHPSerializationError, match="longer than"):
        loads(huge)
    assert loads(huge, max_bytes=len(huge) + 1) == "x" * MAX_BYTES


def test_huge_counts_fail_at_once():
    # Claimed sizes that could make a naive parser allocate or loop for ever.
    for text in ("a:99999999:{" + "i:0;N;" * 10 + "}", 's:2147483647:"' + "x" * 100):
        started = time.perf_counter()
        with pytest.raises(PHPSerializationError):
            loads(text)
        assert time.perf_counter() - started < 0.1


def test_dumps_counts_bytes_like_php():
    assert dumps({"cl_post_title": "é", "n": 1, "f": None}) == (
        'a:3:{s:13:"cl_post_title";s:2:"é";s:1:"n";i:1;s:1:"f";N;}'
    )
    assert [dumps(v) for v in (True, 0.25, -math.inf, -3)] == [
        "b:1;",
        "d:0.25;",
        "d:-INF;",
        "i:-3;",
    ]
    with pytest.raises(ValueError, match="64-bit"):
        dumps(2**63)


# Properties

keys = st.one_of(st.integers(-(2**63), 2**63 - 1), st.text(max_size=20))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
values = st.recursive(
    scalars, lambda inner: st.dictionaries(keys, inner, max_size=5), max_leaves=30
)


@given(values)
def test_round_trip(value):
    assert loads(dumps(value)) == value


@given(st.binary(max_size=300))
def test_any_bytes_give_a_value_or_the_typed_error(data):
    with contextlib.suppress(PHPSerializationError):
        loads(data)


@given(values, st.data())
def test_a_corrupted_serialization_gives_a_value_or_the_typed_error(value, data):
    text = bytearray(dumps(value).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        if not text:
            break
        index = data.draw(st.integers(0, len(text) - 1))
        text[index] = data.draw(st.sampled_from(b'0123456789:;{}"saidbNOCrR\xc3\xa9'))
    with contextlib.suppress(PHPSerializationError):
        loads(bytes(text))


@given(st.text(min_size=1, max_size=30), st.integers(-3, 3).filter(bool))
def test_a_wrong_byte_count_is_always_refused(text, shift):
    # Whatever the text holds (quotes, '";', multibyte characters), the value must end
    # exactly where the count says, and here that is never the end of the input.
    length = max(0, len(text.encode("utf-8")) + shift)
    with pytest.raises(PHPSerializationError):
        loads(f's:{length}:"{text}";')
