"""``javascript:80`` and friends end to end (issue 22, item 3): the public client refuses
them with InvalidURL before any name is resolved or any byte sent, even with loopback open."""

from __future__ import annotations

import pytest

from commentluv import CommentLuv, InvalidURL


@pytest.mark.parametrize("typed", ["javascript:80", "data:443", "file:80"])
def test_end_to_end_no_lookup_for_a_scheme_and_digits(site, typed):
    resolved: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"]

    with CommentLuv(allow_private_hosts=True, resolver=resolver) as luv, pytest.raises(InvalidURL):
        luv.latest(typed)
    assert resolved == [] and site.paths() == []
