"""Tests for commentluv._feeds.decode: the library's one encoding detector and its policies."""

from __future__ import annotations

import codecs

import pytest

from commentluv._feeds.decode import (
    charset_param,
    decode_feed,
    decode_page,
    detect_bom,
    feed_first_label,
    http_charset,
    meta_charset,
    sniff_codec,
    xml_declared_encoding,
    xml_signature,
)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),  # not mistaken for its UTF-16-LE prefix
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_every_policy_takes_the_bom(bom: bytes, codec: str) -> None:
    body = bom + "<rss>é</rss>".encode(codec)
    assert detect_bom(body) == (codec, len(bom))
    assert sniff_codec(body) == (codec, len(bom))
    assert feed_first_label(body, "iso-8859-1") == codec
    assert decode_feed(body, "iso-8859-1") == "<rss>é</rss>"
    assert decode_page(body, "text/html; charset=iso-8859-1") == "<rss>é</rss>"


def test_feeds_need_an_exact_signature_where_sniffing_reads_the_nul_bytes() -> None:
    body = " <rss/>".encode("utf-16-le")
    assert xml_signature(body) is None
    assert sniff_codec(body) == ("utf-16-le", 0)
    assert xml_signature("<rss/>".encode("utf-16-be")) == "utf-16-be"
    assert xml_signature("<?xml".encode("cp037")) == "cp037"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html; charset=UTF-8", "UTF-8"),
        ('application/rss+xml;charset="iso-8859-1"', "iso-8859-1"),
        ("text/xml; Charset = 'koi8-r' ; q=1", "koi8-r"),
        ("text/html; charset=", None),
        ("text/html", None),
        (None, None),
    ],
)
def test_charset_param(content_type: str | None, expected: str | None) -> None:
    assert charset_param(content_type) == expected


def test_http_charset_finds_the_header_in_any_case() -> None:
    assert http_charset({"CONTENT-TYPE": "text/xml; charset=koi8-r"}) == "koi8-r"
    assert http_charset({"X-Other": "charset=koi8-r"}) is None


def test_declared_encodings() -> None:
    assert xml_declared_encoding(b'<?xml version="1.0" encoding="ISO-8859-1"?><rss/>') == (
        "ISO-8859-1"
    )
    assert xml_declared_encoding(b"<rss/>") is None
    assert meta_charset(b'<head><meta charset="windows-1251">') == "windows-1251"
    meta = b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    assert meta_charset(meta) == "Shift_JIS"


def test_feed_labels_in_order() -> None:
    body = '<?xml version="1.0" encoding="koi8-r"?><rss>Ж</rss>'.encode("koi8-r")
    assert feed_first_label(body, None) == "koi8-r"
    assert decode_feed(body, None).endswith("<rss>Ж</rss>")
    assert feed_first_label(body, "UTF-8") == "utf-8"
    assert decode_feed(body, "UTF-8").endswith("<rss>Ж</rss>")  # not UTF-8: the declaration
    assert feed_first_label(b"<rss/>", None) == "utf-8"


def test_feed_policy_quirks() -> None:
    # gb2312 and gbk labels are read as GB18030, their superset.
    assert decode_feed("<rss>\U00020000</rss>".encode("gb18030"), "gb2312") == (
        "<rss>\U00020000</rss>"
    )
    # A UTF-16 label on a body without a BOM or signature is wrong: skipped.
    assert decode_feed(b"<rss>caf\xc3\xa9</rss>", "utf-16") == "<rss>café</rss>"
    # A capped download may end inside a character.
    assert decode_feed("<rss>é".encode()[:-1], None) == "<rss>"
    assert decode_feed(b"<rss>caf\xe9</rss>", None) == "<rss>café</rss>"  # windows-1252


def test_page_policy() -> None:
    page = '<meta charset="windows-1252"><title>Ωmega</title>'.encode()
    assert "Ωmega" in decode_page(page, "text/html; charset=UTF-8")  # HTTP beats meta
    assert "Î©mega" in decode_page(page, None)  # the meta label fits every byte
    assert decode_page(b'<meta charset="utf-16"><p>\xe9', None) == (
        '<meta charset="utf-16"><p>\ufffd'  # an ASCII-readable meta means UTF-8
    )
    assert decode_page(b"<p>\x93hi\x94", "text/html; charset=ascii") == "<p>“hi”"
    assert decode_page(b"<p>\xff", "text/html; charset=base64") == "<p>ÿ"
