"""Fixtures of the network room's tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.net.raw import RawServer


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    """The raw servers a test starts (tests.net.raw.serve), closed after it."""
    made: list[RawServer] = []
    yield made
    for server in made:
        server.close()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A throwaway CA, made now, and a certificate it signed for shared.example and
    127.0.0.1: (ca, cert, key). Nothing trusts the CA unless told to."""
    folder = tmp_path_factory.mktemp("ca")
    ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
    cert, key, request = folder / "cert.pem", folder / "key.pem", folder / "req.pem"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=commentluv test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", *ec, "-keyout", key, "-out", request, "-subj", "/CN=shared.example"],
        ["openssl", "x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2",
         "-extfile", _san(folder, "DNS:shared.example,IP:127.0.0.1")],
    ):  # fmt: skip
        subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=30)
    return ca, cert, key


def _san(folder: Path, names: str) -> Path:
    # What Python 3.13's strict verification (VERIFY_X509_STRICT) requires of a leaf.
    extensions = folder / "san.cnf"
    extensions.write_text(
        f"subjectAltName={names}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    return extensions
