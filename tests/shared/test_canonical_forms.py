"""Canonical URLs and cache keys are the same bytes on every Python the package claims.

Python 3.13's ``ipaddress`` writes an IPv4-mapped IPv6 address with a dotted tail
(``::ffff:127.0.0.1``) where 3.10-3.12 write ``::ffff:7f00:1``: two Pythons sharing one Redis
would miss each other's entries. The expected strings are written out, never computed by the
running Python; .ci/run runs this file on each interpreter it finds.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commentluv import CommentLuv, MemoryCache
from commentluv._shared.urls import canonical_host, normalize_site_url
from tests.support.fakes import FakeBlog, FakeWeb

# The WHATWG URL standard's IPv6 serialisation (RFC 5952: lower-case hex, the first longest
# run of two or more zero groups as "::", never a dotted IPv4 tail).
CANONICAL_URLS = [
    ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
    ("http://[::FFFF:1.2.3.4]:8080/a", "http://[::ffff:102:304]:8080/a"),
    ("http://[0:0:0:0:0:ffff:7f00:1]/", "http://[::ffff:7f00:1]/"),
    ("http://[::127.0.0.1]/", "http://[::7f00:1]/"),
    ("http://[64:ff9b::1.2.3.4]/", "http://[64:ff9b::102:304]/"),
    ("http://[2001:0DB8:0000:0000:0000:0000:0000:0001]/", "http://[2001:db8::1]/"),
    ("http://[2001:db8:0:0:1:0:0:1]/", "http://[2001:db8::1:0:0:1]/"),
    ("http://[2001:db8:0:1:1:1:1:1]/", "http://[2001:db8:0:1:1:1:1:1]/"),
    ("http://[1:0:0:2:0:0:0:3]/", "http://[1:0:0:2::3]/"),
    ("http://[::]/", "http://[::]/"),
    ("http://[0:0:0:0:0:0:0:1]:8080/", "http://[::1]:8080/"),
]


@pytest.mark.parametrize(("typed", "expected"), CANONICAL_URLS)
def test_ipv6_urls_have_one_canonical_form_on_every_python(typed, expected):
    assert normalize_site_url(typed) == expected


def test_a_mapped_host_is_written_in_hex():
    assert canonical_host("::ffff:127.0.0.1") == "::ffff:7f00:1"
    assert canonical_host("::ffff:7f00:1%eth0") == "::ffff:7f00:1"


# Zero groups often, so that runs of zeros (and ties between runs) come up.
groups = st.lists(
    st.sampled_from([0, 0, 1, 0xFFFF]) | st.integers(0, 0xFFFF), min_size=8, max_size=8
)


@given(groups)
def test_every_address_is_written_as_ipaddress_writes_it_without_a_dotted_tail(values):
    address = ipaddress.IPv6Address(int("".join(f"{value:04x}" for value in values), 16))
    written = canonical_host(str(address))
    assert ipaddress.IPv6Address(written) == address
    assert "." not in written
    if address.ipv4_mapped is None:  # the only form Python 3.13 changed
        assert written == address.compressed


def test_the_cache_key_of_a_mapped_address_is_the_same_on_every_python():
    keys: list[str] = []

    class RecordingCache(MemoryCache):
        def set(self, key, value, ttl):
            keys.append(key)
            super().set(key, value, ttl)

    web = FakeWeb()
    FakeBlog(web, "http://[::ffff:7f00:1]/").publish("Newest")
    with CommentLuv(
        allow_private_hosts=True, cache=RecordingCache(), transport=web.transport
    ) as luv:
        post = luv.latest("http://[::ffff:127.0.0.1]/")
    assert post.site_url == "http://[::ffff:7f00:1]/"
    assert "commentluv:site:http://[::ffff:7f00:1]/" in keys
