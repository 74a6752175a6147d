import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commentluv._shared.urls import (
    MAX_URL_LENGTH,
    _already_canonical,
    _resolved,
    _root_relative,
    canonical_host,
    normalize_site_url,
    safe_http_url,
)
from commentluv.errors import InvalidURL


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("example.com", "http://example.com/"),
        ("www.example.com/blog", "http://www.example.com/blog"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("  https://example.com/  ", "https://example.com/"),
        ("\thttps://example.com/\n", "https://example.com/"),
        ("feed://example.com/rss", "http://example.com/rss"),
        ("feed:https://example.com/feed/", "https://example.com/feed/"),
        ("FEED:http://example.com/", "http://example.com/"),
        ("//example.com/x", "http://example.com/x"),
        ("münchen.de/über", "http://xn--mnchen-3ya.de/%C3%BCber"),
        ("http://例え.jp/", "http://xn--r8jz45g.jp/"),
        ("example.com:8080/blog", "http://example.com:8080/blog"),
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:443/a?b=c#frag", "https://example.com/a?b=c"),
    ],
)
def test_accepts_what_commenters_type(typed, expected):
    assert normalize_site_url(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.com/",
        "mailto:someone@example.com",
        "gopher://example.com/",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://127.0.0.1:80\\@example.com/",
        "http:///path",
        "http://",
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://example.com/\u202e",
        "http://-bad-.com/",
        "http://a..b/",
        "http://1.2.3.999/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "http://[::1/",
        "http://example.com/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_rejects_everything_else(typed):
    with pytest.raises(InvalidURL):
        normalize_site_url(typed)


def test_invalid_url_is_a_value_error():
    with pytest.raises(ValueError, match="scheme"):
        normalize_site_url("javascript:alert(1)")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "017700000001",
        "0177.0.0.1",
        "127.1",
        "127.0.1",
        "１２７．０．０．１",
        "127。0。0。1",
    ],
)
def test_numeric_ipv4_spellings_become_dotted_quad(host):
    assert canonical_host(host) == "127.0.0.1"


def test_zero_host_is_unspecified_address():
    assert canonical_host("0") == "0.0.0.0"
    assert normalize_site_url("http://0/") == "http://0.0.0.0/"


def test_ipv6_hosts_are_compressed_and_bracketed():
    assert normalize_site_url("http://[0:0:0:0:0:0:0:1]:8080/") == "http://[::1]:8080/"
    assert normalize_site_url("http://[::ffff:127.0.0.1]/") == "http://[::ffff:7f00:1]/"


def test_trailing_dot_and_case_are_folded():
    assert canonical_host("LOCALHOST.") == "localhost"


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        ("/2024/05/post/", "https://blog.example/feed/", "https://blog.example/2024/05/post/"),
        ("post.html", "https://blog.example/feed/", "https://blog.example/feed/post.html"),
        ("//cdn.example/feed", "https://blog.example/", "https://cdn.example/feed"),
        ("feed:https://blog.example/rss", None, "https://blog.example/rss"),
        ("/ü/ß", "https://blog.example/", "https://blog.example/%C3%BC/%C3%9F"),
        ("https://blog.example/a b", None, "https://blog.example/a%20b"),
        ("https://blog.example/#comments", None, "https://blog.example/"),
    ],
)
def test_safe_http_url_resolves(href, base, expected):
    assert safe_http_url(href, base) == expected


@pytest.mark.parametrize(
    "href",
    [
        None,
        "",
        "javascript:alert(1)",
        "JaVa\tScript:alert(1)",
        "java\nscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "mailto:a@example.com",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
        "http://exa\u202emple.com/",
    ],
)
def test_safe_http_url_drops_unsafe_links(href):
    assert safe_http_url(href, "https://blog.example/") is None


def test_safe_http_url_keeps_fragments_only_when_asked():
    link = "https://blog.example/post/#comment-12"
    assert safe_http_url(link) == "https://blog.example/post/"
    assert safe_http_url(link, keep_fragment=True) == link


# The fast path for links that are canonical as written must answer as the long way does.

_URL_CHARS = "abcxyz019-./%:@!$&'()*+,;=_~?#ABZ"


@settings(max_examples=1000)
@given(
    scheme=st.sampled_from(["http", "https"]),
    labels=st.lists(
        st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
        min_size=0,
        max_size=3,
    ),
    last=st.from_regex(r"[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
    port=st.one_of(st.none(), st.integers(1, 70000)),
    rest=st.text(alphabet=_URL_CHARS, max_size=40),
    keep_fragment=st.booleans(),
)
def test_the_canonical_fast_path_agrees_with_the_long_way(
    scheme, labels, last, port, rest, keep_fragment
):
    host = ".".join([*labels, last])
    url = f"{scheme}://{host}{f':{port}' if port else ''}{'/' if rest[:1] not in ('/', '?', '#', '') else ''}{rest}"
    fast = _already_canonical(url, keep_fragment)
    if fast is not None:
        assert fast == _resolved(url, None, keep_fragment), url
        assert normalize_site_url(url) == _resolved(url, None, False)
        assert _resolved(url, "https://base.example/x/", keep_fragment) == fast


def test_the_fast_path_takes_typical_links_and_leaves_the_rest():
    assert _already_canonical("https://jaden.example/2026/11/post-3/", True) == (
        "https://jaden.example/2026/11/post-3/"
    )
    assert _already_canonical("http://jaden.example:80", False) == "http://jaden.example/"
    for odd in ["HTTP://a.example/", "http://A.example/", "http://127.0.0.1/", "http://0x7f.1/",
                "http://a.example/ x", "http://a_b.example/", "http://a.example./", "feed://a.example/",
                "http://xn--fa-hia.de/\u00e9", "http://-a.example/"]:  # fmt: skip
        assert _already_canonical(odd, False) is None, odd


@pytest.mark.parametrize("label_length", [62, 63, 64, 70])
@pytest.mark.parametrize("last", [False, True])
def test_the_fast_path_agrees_on_long_host_labels(label_length, last):
    label = "a" * label_length
    host = f"x.{label}" if last else f"{label}.example"
    url = f"https://{host}/feed/"
    fast = _already_canonical(url, False)
    assert fast == (url if label_length <= 63 else None)
    assert _resolved(url, None, False) == fast


def test_the_fast_path_agrees_on_long_host_names():
    for length in (253, 254):
        host = ".".join(["a" * 49] * 5)[: length - 8] + ".example"
        url = f"https://{host}/"
        assert len(host) == length
        assert _already_canonical(url, False) == _resolved(url, None, False)
        assert (_already_canonical(url, False) is None) == (length > 253)


@settings(max_examples=1000)
@given(
    base=st.sampled_from(
        [
            "https://base.example/x/",
            "http://base.example:8080/a/b?q=1",
            "https://base.example",
            "https://base.example/p#frag",
            "HTTP://Base.example/x/",  # not canonical: the long way decides
        ]
    ),
    rest=st.text(alphabet=_URL_CHARS, max_size=40),
    keep_fragment=st.booleans(),
)
def test_the_root_relative_fast_path_agrees_with_the_long_way(base, rest, keep_fragment):
    href = "/" + rest
    fast = _root_relative(href, base, keep_fragment)
    if fast is not None:
        assert fast == _resolved(href, base, keep_fragment), (href, base)
    assert safe_http_url(href, base, keep_fragment=keep_fragment) == _resolved(
        href, base, keep_fragment
    )


def test_the_root_relative_fast_path_takes_typical_links_and_leaves_the_rest():
    base = "https://jaden.example:8443/blog/post/"
    assert _root_relative("/feed/", base, False) == "https://jaden.example:8443/feed/"
    assert _root_relative("/?feed=rss2", base, False) == "https://jaden.example:8443/?feed=rss2"
    for odd in ["//other.example/feed", "/a/../feed", "/./feed", "/a b", "/\u00e9t\u00e9"]:
        assert _root_relative(odd, base, False) is None, odd
    assert _root_relative("/feed/", "HTTP://Jaden.example/", False) is None


# A known non-http scheme followed by digits (issue 22, item 3): "javascript:80" is not the
# host "javascript" on port 80.


@pytest.mark.parametrize(
    "typed",
    ["javascript:80", "data:443", "file:80", "JavaScript:8080/x", "vbscript:1", "mailto:25",
     "about:80", "blob:443", "ftp:21"],
)  # fmt: skip
def test_a_known_scheme_followed_by_digits_is_refused(typed):
    with pytest.raises(InvalidURL, match="scheme"):
        normalize_site_url(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("localhost:8080", "http://localhost:8080/"),
        ("example.com:8080/blog", "http://example.com:8080/blog"),
        ("javascript.example:80", "http://javascript.example/"),
        ("data.example:443/", "http://data.example:443/"),
    ],
)
def test_a_host_and_port_still_reads_as_one(typed, expected):
    assert normalize_site_url(typed) == expected
