"""Which certificate authorities TLS trusts: ``ca_bundle=`` (and ``--ca-bundle``), then
``SSL_CERT_FILE``/``SSL_CERT_DIR``, then the system's store (truststore extra), then certifi.

A throwaway CA made with the openssl command signs the test server's certificate; nothing
trusts it unless a test says so.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from commentluv import CommentLuv
from commentluv._net import http as http_module
from commentluv.cli import main
from tests.net.raw import Answer, response, send, serve

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Over TLS</title><link>https://shared.example/1</link></item></channel></rss>"
)


@pytest.fixture(autouse=True)
def no_trust_from_the_environment(monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def tls_server(servers, test_ca):
    _, cert, key = test_ca
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    answers: dict[str, Answer] = {
        "/": send(response(b'<link rel="alternate" type="application/rss+xml" href="/feed">')),
        "/feed": send(response(FEED, "application/rss+xml")),
    }
    return serve(servers, answers, tls=context)


def lookup(port: int, **options: object):
    with CommentLuv(
        allow_private_hosts=True,
        resolver=lambda host, port: ["127.0.0.1"],
        **options,  # type: ignore[arg-type]
    ) as luv:
        return luv.lookup(f"https://shared.example:{port}/")


def test_an_unknown_authority_is_refused(servers, test_ca):
    server = tls_server(servers, test_ca)
    result = lookup(server.port)
    assert result.error is not None and "TLS" in result.error.message
    assert server.seen == []


def test_ca_bundle_names_the_authorities_to_trust(servers, test_ca):
    server = tls_server(servers, test_ca)
    result = lookup(server.port, ca_bundle=test_ca[0])
    assert [post.title for post in result.posts] == ["Over TLS"]
    # Page and feed on one host: one connection, one handshake.
    assert [seen.connection for seen in server.seen] == [0, 0]


def test_ssl_cert_file_is_honoured(servers, test_ca, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(test_ca[0]))
    server = tls_server(servers, test_ca)
    assert [post.title for post in lookup(server.port).posts] == ["Over TLS"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_ssl_cert_dir_is_honoured(servers, test_ca, monkeypatch, tmp_path):
    shutil.copy(test_ca[0], tmp_path / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(tmp_path)], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    server = tls_server(servers, test_ca)
    assert [post.title for post in lookup(server.port).posts] == ["Over TLS"]


def test_ca_bundle_wins_over_the_environment(servers, test_ca, monkeypatch, tmp_path):
    other = tmp_path / "other.pem"
    other.write_text(Path(http_module.certifi.where()).read_text())
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    server = tls_server(servers, test_ca)
    assert lookup(server.port).error is not None  # the environment's bundle lacks the CA
    assert [post.title for post in lookup(server.port, ca_bundle=test_ca[0]).posts] == ["Over TLS"]


def test_ca_bundle_goes_to_the_transport_it_builds_not_to_one_given():
    from commentluv import MockTransport

    with pytest.raises(TypeError, match="ca_bundle"):
        CommentLuv(transport=MockTransport(lambda request: None), ca_bundle="ca.pem")  # type: ignore[arg-type]


def test_the_command_line_takes_a_ca_bundle(servers, test_ca, capsys):
    server = tls_server(servers, test_ca)
    url = f"https://127.0.0.1:{server.port}/"  # the certificate names 127.0.0.1 too
    common = ["--no-cache", "--json", "--allow-private-hosts"]
    assert main([*common, "--ca-bundle", str(test_ca[0]), url]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Over TLS"
    assert main([*common, url]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["kind"] == "unreachable"


def test_a_missing_ca_bundle_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["--ca-bundle", str(tmp_path / "missing.pem"), "blog.example"])
    assert caught.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_without_a_bundle_or_environment_the_system_store_is_used_when_installed(monkeypatch):
    # An optional extra that [all] leaves out on purpose (not a dependency at its floor).
    if importlib.util.find_spec("truststore") is None:
        pytest.skip("the truststore extra is not installed")
    import truststore

    assert isinstance(http_module._tls_context(None, verify=True), truststore.SSLContext)
    monkeypatch.setitem(sys.modules, "truststore", None)  # not installed: certifi's bundle
    context = http_module._tls_context(None, verify=True)
    assert not isinstance(context, truststore.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 100  # certifi's roots
