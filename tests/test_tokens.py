"""Choice tokens, pure: no client, no fixtures."""

from __future__ import annotations

import base64
import re

import pytest

from commentluv.tokens import MAX_CHOICES, ChoiceSigner

SECRET = "correct horse battery staple"
SITE = "https://jaden.example/"
LINKS = [f"https://jaden.example/2026/11/post-{n}/" for n in range(MAX_CHOICES)]
NOW = 1_800_000_000.0


def signer(secret: str | bytes = SECRET) -> ChoiceSigner:
    return ChoiceSigner(secret)


def token(links: list[str] = LINKS, expires: int = int(NOW) + 3600) -> str:
    return signer().issue(SITE, links, expires)


def raw(text: str) -> bytearray:
    return bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_every_offered_link_checks_out():
    issued = token()
    for link in LINKS:
        assert signer().check(issued, SITE, link, now=NOW) == "ok"


def test_the_token_is_compact_and_url_safe():
    issued = token()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", issued)
    assert len(issued) == 146  # ten links
    assert len(token(LINKS[:1])) == 50


def test_a_link_that_was_not_offered_is_refused():
    issued = token(LINKS[:3])
    assert signer().check(issued, SITE, LINKS[3], now=NOW) == "not_offered"
    assert signer().check(issued, SITE, "https://spam.example/pills", now=NOW) == "not_offered"
    assert signer().check(issued, SITE, LINKS[0] + "x", now=NOW) == "not_offered"


def test_another_site_is_refused():
    assert signer().check(token(), "https://spam.example/", LINKS[0], now=NOW) == "other_site"


def test_expiry():
    issued = token(expires=int(NOW) + 10)
    assert signer().check(issued, SITE, LINKS[0], now=NOW + 9.9) == "ok"
    assert signer().check(issued, SITE, LINKS[0], now=NOW + 10) == "expired"


def test_another_secret_cannot_verify_or_forge():
    forged = ChoiceSigner("another secret, also long").issue(SITE, LINKS, int(NOW) + 3600)
    assert signer().check(forged, SITE, LINKS[0], now=NOW) == "tampered"


@pytest.mark.parametrize("position", [1, 3, 6, 20, -1])
def test_any_changed_byte_is_tampering(position):
    data = raw(token())
    data[position] ^= 0x01
    assert signer().check(encode(bytes(data)), SITE, LINKS[0], now=NOW) == "tampered"


def test_a_pushed_back_expiry_is_tampering():
    data = raw(token(expires=int(NOW) - 60))
    data[1:5] = (int(NOW) + 10**6).to_bytes(4, "big")
    assert signer().check(encode(bytes(data)), SITE, LINKS[0], now=NOW) == "tampered"


def test_an_added_link_digest_is_tampering():
    data = raw(token(LINKS[:2]))
    spliced = bytes(data[:-16]) + bytes(data[13:21]) + bytes(data[-16:])
    assert signer().check(encode(spliced), SITE, LINKS[0], now=NOW) == "tampered"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "x",
        "not a token",
        "%%%%",
        "AAAA",
        "a" * 10_000,
        token()[:-1] + "=",
        token()[:-3],  # cut: no longer a whole number of digests
        "\udcff" * 20,
    ],
)
def test_garbage_is_forged(garbage):
    assert signer().check(garbage, SITE, LINKS[0], now=NOW) == "forged"


def test_another_version_is_forged():
    data = raw(token())
    data[0] = 2
    assert signer().check(encode(bytes(data)), SITE, LINKS[0], now=NOW) == "forged"


def test_a_token_of_no_links_or_too_many_is_forged():
    data = raw(token(LINKS[:1]))
    assert signer().check(encode(bytes(data[:13] + data[-16:])), SITE, LINKS[0], now=NOW) == (
        "forged"
    )
    many = bytes(data[:13]) + bytes(data[13:21]) * (MAX_CHOICES + 1) + bytes(data[-16:])
    assert signer().check(encode(many), SITE, LINKS[0], now=NOW) == "forged"


def test_a_non_string_token_is_forged():
    assert signer().check(b"bytes", SITE, LINKS[0], now=NOW) == "forged"  # type: ignore[arg-type]


def test_odd_links_never_raise():
    issued = signer().issue(SITE, ["https://jaden.example/\udcff"], int(NOW) + 60)
    assert signer().check(issued, SITE, "https://jaden.example/\udcff", now=NOW) == "ok"


def test_issue_offers_one_to_ten_links():
    with pytest.raises(ValueError, match="1 to 10"):
        signer().issue(SITE, [], int(NOW))
    with pytest.raises(ValueError, match="1 to 10"):
        signer().issue(SITE, [*LINKS, "https://jaden.example/11/"], int(NOW))


def test_short_secrets_are_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ChoiceSigner("short")
    ChoiceSigner(b"\x00" * 16)


def test_str_and_bytes_secrets_agree():
    assert signer(SECRET).same_key(signer(SECRET.encode()))
    assert not signer(SECRET).same_key(signer(SECRET + "!"))
    issued = signer(SECRET.encode()).issue(SITE, LINKS, int(NOW) + 60)
    assert signer(SECRET).check(issued, SITE, LINKS[0], now=NOW) == "ok"
