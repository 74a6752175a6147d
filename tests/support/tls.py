"""Throwaway TLS certificates for servers on 127.0.0.1, made with the openssl command."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed_certificate(folder: Path, name: str, *more_names: str) -> tuple[Path, Path]:
    """(certificate, key) for ``name`` and ``more_names``, valid two days and trusted by
    nothing unless a test says so."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = ",".join(f"DNS:{host}" for host in (name, *more_names))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName={names}"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key
