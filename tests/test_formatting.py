"""Tests for commentluv.formatting."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv.formatting import (
    STYLES,
    Format,
    format_backlink,
    validate_style,
    validate_template,
)
from commentluv.models import Post

NAME = "Jaden Daniels"
TITLE = "Addictions…You Can Overcome Them"
LINK = "https://jaden.example/2026/11/addictions-you-can-overcome-them/"
A_TAG = f'<a href="{LINK}" rel="nofollow ugc">{TITLE}</a>'
MD_LINK = f"[{TITLE}]({LINK})"


def make_post(
    title: str = TITLE, link: str | None = LINK, site_url: str = "https://example.com/"
) -> Post:
    return Post(
        title=title,
        link=link,
        published=None,
        feed_url="https://example.com/feed/",
        site_url=site_url,
    )


class TagCollector(HTMLParser):
    """Records every start/end tag and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.ends: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, attrs))
        self.ends.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)


def collect_tags(markup: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(markup)
    parser.close()
    return parser


def unescaped_lt(markdown: str) -> list[int]:
    """Positions of "<" not preceded by an odd number of backslashes."""
    return [m.start() for m in re.finditer(r"(?<!\\)(?:\\\\)*<", markdown)]


# --- styles × formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "fmt", "expected"),
    [
        ("card", "text", f".-= Jaden Daniels's last blog ..{TITLE} =-."),
        ("card", "html", f".-= Jaden Daniels's last blog ..{A_TAG} =-."),
        ("card", "markdown", f".-= Jaden Daniels's last blog ..{MD_LINK} =-."),
        ("classic", "text", f".-= Jaden Daniels\u00b4s last blog ..{TITLE} =-."),
        ("classic", "html", f".-= Jaden Daniels\u00b4s last blog ..{A_TAG} =-."),
        ("classic", "markdown", f".-= Jaden Daniels\u00b4s last blog ..{MD_LINK} =-."),
        ("recent", "text", f"Jaden Daniels recently posted..{TITLE}"),
        ("recent", "html", f"Jaden Daniels recently posted..{A_TAG}"),
        ("recent", "markdown", f"Jaden Daniels recently posted..{MD_LINK}"),
    ],
)
def test_builtin_styles(style: str, fmt: Format, expected: str) -> None:
    assert format_backlink(make_post(), NAME, style=style, fmt=fmt) == expected


def test_classic_is_byte_for_byte_the_original_plugin() -> None:
    line = format_backlink(make_post(), NAME, style="classic")
    assert line == ".-= Jaden Daniels\u00b4s last blog ..Addictions\u2026You Can Overcome Them =-."
    assert line.encode("utf-8") == (
        b".-= Jaden Daniels\xc2\xb4s last blog ..Addictions\xe2\x80\xa6You Can Overcome Them =-."
    )


def test_defaults_are_card_text_nofollow() -> None:
    assert format_backlink(make_post(), NAME) == f".-= Jaden Daniels's last blog ..{TITLE} =-."
    html_line = format_backlink(make_post(), NAME, fmt="html")
    assert 'rel="nofollow ugc"' in html_line


def test_styles_mapping_is_read_only() -> None:
    assert set(STYLES) == {"card", "classic", "recent"}
    with pytest.raises(TypeError):
        STYLES["card"] = "{name}"  # type: ignore[index]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("text", f"Jaden Daniels: {TITLE}"),
        ("html", f'Jaden Daniels: <a href="{LINK}" rel="ugc">{TITLE}</a>'),
        ("markdown", f"Jaden Daniels: {MD_LINK}"),
    ],
)
def test_dofollow(fmt: Format, expected: str) -> None:
    line = format_backlink(make_post(), NAME, style="{name}: {title}", fmt=fmt, dofollow=True)
    assert line == expected


# --- custom templates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("text", f"{{Jaden Daniels}} {TITLE} {LINK} https://example.com/"),
        ("html", f"{{Jaden Daniels}} {A_TAG} {LINK} https://example.com/"),
        (
            "markdown",
            # The site's URL as text: escaped, and its "https:" broken so GFM cannot link it.
            f"{{Jaden Daniels}} {MD_LINK} <{LINK}> https\\:&#8203;\\/\\/example\\.com\\/",
        ),
    ],
)
def test_all_placeholders_and_literal_braces(fmt: Format, expected: str) -> None:
    line = format_backlink(make_post(), NAME, style="{{{name}}} {title} {link} {site}", fmt=fmt)
    assert line == expected


def test_template_literal_text_is_kept_as_written_in_html() -> None:
    line = format_backlink(make_post(), "<b>", style="<p>{name} & co</p>", fmt="html")
    assert line == "<p>example.com & co</p>"


@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_no_link_renders_plain_title(fmt: Format) -> None:
    line = format_backlink(
        make_post(title="Hello", link=None), NAME, style="{title}|{link}", fmt=fmt
    )
    assert line == "Hello|"


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "site_url", "expected"),
    [
        ("", "https://www.jaden.example/blog/", "jaden.example"),
        ("  \u202e\u200b ", "http://Blog.Example.ORG:8080/", "blog.example.org"),
        ("", "not a url", ""),
        ("", "http://[broken/", ""),
    ],
)
def test_empty_name_falls_back_to_host(name: str, site_url: str, expected: str) -> None:
    line = format_backlink(make_post(site_url=site_url), name, style="{name}")
    assert line == expected


@pytest.mark.parametrize(
    ("fmt", "host"),
    [("text", "example.com"), ("html", "example.com"), ("markdown", "example\\.com")],
)
@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "<script>", "<b></b>", "<!-- x -->"])
def test_a_name_that_is_only_markup_falls_back_to_the_host(
    fmt: Format, host: str, name: str
) -> None:
    assert format_backlink(make_post(), name, style="{name}", fmt=fmt) == host


@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_tags_leave_names_in_every_format(fmt: Format) -> None:
    name = '<b onmouseover="x">Jaden</b> <script>alert(1)</script><i>Daniels</i><img src=x'
    assert format_backlink(make_post(), name, style="{name}", fmt=fmt) == "Jaden Daniels"


def test_names_are_cleaned() -> None:
    line = format_backlink(make_post(), "  Jaden\x00\u202e Daniels\n\t", style="{name}")
    assert line == "Jaden Daniels"


def test_long_name_is_capped() -> None:
    line = format_backlink(make_post(), "x" * 10_000, style="{name}")
    assert len(line) == 100
    assert line.endswith("…")


def test_long_title_is_capped() -> None:
    line = format_backlink(make_post(title="word " * 2000), NAME, style="{title}")
    assert len(line) <= 200
    assert line.endswith("…")


def test_titles_are_plain_text_even_if_they_look_like_markup() -> None:
    post = make_post(title="<b>Bold</b> &amp; more")
    assert format_backlink(post, NAME, style="{title}") == "Bold &amp; more"
    html_line = format_backlink(post, NAME, style="{title}", fmt="html")
    assert html_line == f'<a href="{LINK}" rel="nofollow ugc">Bold &amp;amp; more</a>'


# --- template validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("clasic", "unknown style"),
        ("", "unknown style"),
        ("just text {{name}}", "unknown style"),
        ("{name.__class__}", "placeholder"),
        ("{title[0]}", "placeholder"),
        ("{name.__class__.__mro__[1].__subclasses__}", "placeholder"),
        ("{}", "placeholder"),
        ("{0}", "placeholder"),
        ("{author}", "placeholder"),
        ("{name!r}", "conversion"),
        ("{name!s}", "conversion"),
        ("{title:>99999999}", "format spec"),
        ("{title:{name}}", "format spec"),
        ("{name", "malformed"),
        ("name}", "malformed"),
        ("{name}}", "malformed"),
    ],
)
def test_invalid_templates(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_template(template)
    with pytest.raises(ValueError, match=message):
        format_backlink(make_post(), NAME, style=template)


@pytest.mark.parametrize(
    "template", [*STYLES.values(), "{name}", "{link}", "{{literal}} {site}", "{title:}"]
)
def test_valid_templates(template: str) -> None:
    validate_template(template)


@pytest.mark.parametrize("template", ["x" * 100_000, "{" + "x" * 100_000 + "}"])
def test_error_message_for_huge_template_is_short(template: str) -> None:
    with pytest.raises(ValueError, match=r"unknown style|not allowed") as info:
        validate_template(template)
    assert len(str(info.value)) < 300


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        format_backlink(make_post(), NAME, fmt="rst")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown format"):
        validate_style("card", "rst")


@pytest.mark.parametrize("style", [*STYLES, "{name} wrote {title}"])
@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_validate_style_accepts_names_and_templates(style: str, fmt: str) -> None:
    validate_style(style, fmt)


@pytest.mark.parametrize("style", ["clasic", "{name!r}", "{title[0]}", "{"])
def test_validate_style_rejects_bad_styles(style: str) -> None:
    with pytest.raises(ValueError, match=r"unknown style|not allowed|malformed"):
        validate_style(style)


# --- hostile input ----------------------------------------------------------------------------

HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "evil\u202egnp.exe",
    "nul\x00byte",
    "[x](javascript:alert(1))",
    "<https://evil.example/>",
    "*emph* _u_ `code` ~~s~~ # h",
    "&lt;script&gt;",
    "\\",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_in_html(text: str) -> None:
    line = format_backlink(make_post(title=text), text, style="{name}|{title}", fmt="html")
    parser = collect_tags(line)
    assert parser.starts == [("a", [("href", LINK), ("rel", "nofollow ugc")])]
    assert parser.ends == ["a"]
    assert "\x00" not in line
    assert "\u202e" not in line


def test_html_escaping_exact() -> None:
    post = make_post(title='"><img src=x onerror=alert(1)>')
    line = format_backlink(post, "<script>alert(1)</script>", style="{name}|{title}", fmt="html")
    assert line == f'example.com|<a href="{LINK}" rel="nofollow ugc">&quot;&gt;</a>'


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_in_markdown(text: str) -> None:
    line = format_backlink(make_post(title=text), text, style="{name}|{title}", fmt="markdown")
    assert unescaped_lt(line) == []
    assert line.endswith(f"]({LINK})")
    assert "javascript:" not in line


def test_markdown_link_syntax_in_title_stays_literal() -> None:
    post = make_post(title="[x](javascript:alert(1))")
    line = format_backlink(post, NAME, style="{title}", fmt="markdown")
    assert line == f"[\\[x\\]\\(javascript\\:alert\\(1\\)\\)]({LINK})"


def test_markdown_escapes_every_ascii_punctuation() -> None:
    punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    line = format_backlink(make_post(), punctuation, style="{name}", fmt="markdown")
    assert line == "".join("\\" + ch for ch in punctuation)


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVa\tScript:alert(1)",
        "java\nscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "//evil.example/",
        "/relative/path",
        "https://user:pw@evil.example/",
        "",
    ],
)
@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_unsafe_links_are_dropped(link: str, fmt: Format) -> None:
    line = format_backlink(make_post(title="Hi", link=link), NAME, style="{title}|{link}", fmt=fmt)
    assert line == "Hi|"


def test_link_with_quotes_cannot_break_out_of_href() -> None:
    post = make_post(link='https://evil.example/x" onmouseover="alert(1)')
    line = format_backlink(post, NAME, style="{title}", fmt="html")
    parser = collect_tags(line)
    assert len(parser.starts) == 1
    tag, attrs = parser.starts[0]
    assert tag == "a"
    assert [key for key, _ in attrs] == ["href", "rel"]
    assert dict(attrs)["href"] == "https://evil.example/x%22%20onmouseover=%22alert(1)"


def test_link_with_single_quote_in_query_is_escaped_in_html() -> None:
    post = make_post(link="https://evil.example/?q='x'&a=1")
    line = format_backlink(post, NAME, style="{link}", fmt="html")
    assert line == "https://evil.example/?q=&#x27;x&#x27;&amp;a=1"


def test_markdown_link_destination_is_percent_encoded() -> None:
    post = make_post(title="T", link="https://evil.example/a (b)/<c>/\"'\\?q=x) [y](javascript:z)")
    line = format_backlink(post, NAME, style="{title} {link}", fmt="markdown")
    url = "https://evil.example/a%20%28b%29/%3Cc%3E/%22%27%5C?q=x%29%20%5By%5D%28javascript:z%29"
    assert line == f"[T]({url}) <{url}>"


# --- properties -------------------------------------------------------------------------------

any_text = st.text(max_size=300)
any_link = st.one_of(
    st.none(),
    any_text,
    st.builds(lambda tail: "https://example.com/" + tail, any_text),
    st.builds(lambda tail: "http://ex.example/?q=" + tail, any_text),
)
any_style = st.sampled_from([*STYLES, "{name}|{title}|{link}|{site}"])


@given(
    name=any_text,
    title=any_text,
    link=any_link,
    site=any_text,
    style=any_style,
    dofollow=st.booleans(),
)
def test_html_output_only_contains_our_anchor(
    name: str, title: str, link: str | None, site: str, style: str, dofollow: bool
) -> None:
    post = make_post(title=title, link=link, site_url=site)
    line = format_backlink(post, name, style=style, fmt="html", dofollow=dofollow)
    parser = collect_tags(line)
    assert len(parser.starts) <= 1
    assert parser.ends == [tag for tag, _ in parser.starts]
    for tag, attrs in parser.starts:
        assert tag == "a"
        assert [key for key, _ in attrs] == ["href", "rel"]
        href = dict(attrs)["href"] or ""
        assert href.startswith(("http://", "https://"))
        assert dict(attrs)["rel"] == ("ugc" if dofollow else "nofollow ugc")
    without_anchor = re.sub(r'<a href="[^"<>]*" rel="[a-z ]+">|</a>', "", line)
    assert "<" not in without_anchor
    assert ">" not in without_anchor
    assert 'href="' not in without_anchor


@given(name=any_text, title=any_text, link=any_link, site=any_text, style=any_style)
def test_markdown_output_has_no_unescaped_markup(
    name: str, title: str, link: str | None, site: str, style: str
) -> None:
    post = make_post(title=title, link=link, site_url=site)
    line = format_backlink(post, name, style=style, fmt="markdown")
    # The only "<" allowed is the autolink that {link} renders to.
    autolink = re.compile(r"<https?://[\x21-\x7e]+?>")
    assert unescaped_lt(autolink.sub("", line)) == []
    for match in autolink.finditer(line):
        assert not re.search(r"[\s()<>\"'\\]", match.group()[1:-1])


@given(
    name=any_text,
    title=any_text,
    link=any_link,
    style=any_style,
    fmt=st.sampled_from(["text", "html", "markdown"]),
)
def test_formatting_is_deterministic_and_cleaning_idempotent(
    name: str, title: str, link: str | None, style: str, fmt: Format
) -> None:
    post = make_post(title=title, link=link)
    first = format_backlink(post, name, style=style, fmt=fmt)
    assert format_backlink(post, name, style=style, fmt=fmt) == first
    if fmt == "text":
        # Feeding the cleaned values back in changes nothing.
        cleaned_name = format_backlink(post, name, style="{name}")
        cleaned_title = format_backlink(post, name, style="{title}")
        again = make_post(title=cleaned_title, link=link)
        assert format_backlink(again, cleaned_name, style=style) == first
