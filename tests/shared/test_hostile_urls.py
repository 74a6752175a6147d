"""Hostile URLs: everything here is refused before any socket is opened.

The client is given a resolver that fails the test if it is ever called, so a URL that got
past the checks would show up as a call rather than as a silent connection attempt.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commentluv import CommentLuv
from commentluv._net.policy import AddressPolicy, is_public_address
from commentluv._shared.urls import canonical_host, normalize_site_url, safe_http_url
from commentluv.errors import BlockedURL, CommentLuvError, InvalidURL


def never_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolver called for {host}:{port}: the URL should have been refused")


def refused_before_connecting(typed: str) -> CommentLuvError:
    """Look ``typed`` up with the strict policy; return the error, which must come first."""
    luv = CommentLuv(resolver=never_resolve, timeout=1)
    with luv, pytest.raises((BlockedURL, InvalidURL)) as caught:
        luv.latest(typed)
    return caught.value


@pytest.mark.parametrize(
    "typed",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/_GET",
        "ftp://example.com/",
        "dict://127.0.0.1:11211/stat",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ldap://example.com/",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://@example.com/",
        # Parser differentials: some parsers would connect to example.com, others to
        # 127.0.0.1. Refusing both readings is the only way the checked host is the host used.
        "http://127.0.0.1:80\\@example.com/",
        "http://127.0.0.1#@example.com/",
        "http://127.0.0.1?@example.com/",
        "http://127.0.0.1\\@example.com/",
        "http://example.com\\@127.0.0.1/",
        "http://example.com%2f@127.0.0.1/",
    ],
)
def test_schemes_userinfo_and_parser_differentials(typed):
    refused_before_connecting(typed)


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("http://127.0.0.1#@example.com/", "127.0.0.1"),
        ("http://127.0.0.1?@example.com/", "127.0.0.1"),
        ("http://example.com#@127.0.0.1/", "example.com"),
        ("http://example.com?@127.0.0.1/", "example.com"),
        ("http://example.com/@127.0.0.1/", "example.com"),
    ],
)
def test_the_host_checked_is_the_host_connected_to(typed, host):
    # The policy reads the host with urlsplit; the transport connects to its own reading.
    from commentluv._net.http import _Target

    url = normalize_site_url(typed)
    assert urlsplit(url).hostname == _Target.of(url).host == host


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST.",
    "localhost:8080",
    "2130706433",
    "0x7f.1",
    "017700000001",
    "0177.0.0.1",
    "127.1",
    "0x7f000001",
    "0",
    "0.0.0.0",
    "http://0/",
    "１２７．０．０．１",
    "127。0。0。1",
    "127．0．0．1",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[0:0:0:0:0:0:0:1]",
    "http://[::1]:8080/",
    "app.localhost",
    "printer.local",
    "router.home.arpa",
    "db.internal",
    "nas.localdomain",
    "127.0.0.1.",
]

PRIVATE_AND_SPECIAL = [
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "100.64.0.1",
    "100.127.255.254",
    "198.18.0.1",
    "198.19.255.254",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "169.254.1.1",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64-wrapped 169.254.169.254
    "[64:ff9b::7f00:1]",
    "[2002:a9fe:a9fe::]",  # 6to4-wrapped 169.254.169.254
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
    "[::ffff:10.0.0.1]",
    "[::ffff:a9fe:a9fe]",
    # Azure's endpoint is a public address to ipaddress; mapped into IPv6 it must still be
    # refused (Python 3.13's is_global judges mapped addresses by their IPv4 part).
    "[::ffff:168.63.129.16]",
]

METADATA = [
    "169.254.169.254",
    "http://169.254.169.254/latest/meta-data/iam/",
    "169.254.170.2",
    "100.100.100.200",
    "192.0.0.192",
    "168.63.129.16",
    "metadata.google.internal",
    "METADATA.GOOGLE.INTERNAL.",
    "metadata",
    "[fd00:ec2::254]",
    "2852039166",  # 169.254.169.254 as one number
    "0xa9.0xfe.0xa9.0xfe",
]


@pytest.mark.parametrize("typed", LOOPBACK_SPELLINGS + PRIVATE_AND_SPECIAL + METADATA)
def test_internal_targets_are_blocked_before_any_lookup(typed):
    error = refused_before_connecting(typed)
    assert error.kind == "blocked"


@pytest.mark.parametrize(
    "ipv4", ["8.8.8.8", "168.63.129.16", "169.254.169.254", "100.100.100.200", "10.0.0.1"]
)
def test_ipv4_mapped_addresses_are_judged_as_their_ipv4_address(ipv4):
    # Not left to ipaddress: Python versions disagree on whether ::ffff:0:0/96 is global.
    assert is_public_address(f"::ffff:{ipv4}") == is_public_address(ipv4)


@pytest.mark.parametrize(
    "typed", ["example.com:22", "https://example.com:6379/", "example.com:11211", "[2606::1]:25"]
)
def test_non_web_ports_are_blocked_before_any_lookup(typed):
    assert "port" in refused_before_connecting(typed).message


def test_allow_private_hosts_lifts_the_port_rule_but_not_the_scheme_rule():
    relaxed = AddressPolicy(allow_private_hosts=True)
    relaxed.check_url("http://127.0.0.1:54321/")
    for url in ("gopher://127.0.0.1:70/", "http://u:p@127.0.0.1:54321/"):
        # Not a plain http(s) URL: InvalidURL, as normalize_site_url says for the same input.
        with pytest.raises(InvalidURL):
            relaxed.check_url(url)


# Fuzzing: only InvalidURL, and what comes out is a canonical http(s) URL.

url_text = st.one_of(
    st.text(max_size=80),
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                [
                    "http://",
                    "https://",
                    "HTTP://",
                    "feed:",
                    "//",
                    "example.com",
                    "ex",
                    "ä",
                    "xn--",
                    "127.0.0.1",
                    "0x7f",
                    "０",
                    "。",
                    ".",
                    ":",
                    ":8080",
                    ":0",
                    "@",
                    "\\",
                    "/",
                    "?",
                    "#",
                    "%",
                    "%2e",
                    "[",
                    "]",
                    "::1",
                    "ffff",
                    " ",
                    "\t",
                    "-",
                    "_",
                    "a" * 63,
                    "\u202e",
                    "\x00",
                ]
            ),
            max_size=12,
        ),
    ),
)


def assert_canonical(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https")
    assert parts.hostname and parts.username is None and parts.password is None
    # The host is already in canonical form: checking it again changes nothing.
    host = parts.hostname
    assert canonical_host(host) == host


@given(url_text)
@example("http://[::ffff:127.0.0.1]/")
@example("１２７．０．０．１")
@example("feed://feed:example.com")
def test_normalize_site_url_raises_only_invalid_url_and_is_idempotent(typed):
    try:
        url = normalize_site_url(typed)
    except InvalidURL:
        return
    assert_canonical(url)
    assert normalize_site_url(url) == url


@given(url_text, st.sampled_from([None, "https://example.com/blog/", "http://[::1]:8080/a"]))
def test_safe_http_url_returns_none_or_a_canonical_url(href, base):
    url = safe_http_url(href, base)
    if url is None:
        return
    assert_canonical(url)
    assert safe_http_url(url) == url


@pytest.mark.parametrize(
    ("typed", "other"), [("faß.de", "fass.de"), ("ς.gr", "σ.gr"), ("FAß.DE", "fass.de")]
)
def test_idn_hosts_follow_uts46_not_idna2003(typed, other):
    # IDNA 2003 folded ß to ss and ς to σ: two different sites shared one cache key and one
    # fetch target. UTS 46 non-transitional processing (what browsers do) keeps them apart.
    assert normalize_site_url(typed) != normalize_site_url(other)
    assert normalize_site_url("faß.de") == "http://xn--fa-hia.de/"
    assert normalize_site_url("bücher.example") == "http://xn--bcher-kva.example/"
