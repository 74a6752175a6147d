"""Hostile servers and resolvers, against real sockets on 127.0.0.1 only.

Addresses other than 127.0.0.1 appear only as forged DNS answers or redirect targets that must
be refused before any connection; the strict policy judges them, with the test server alone
exempted where a test needs one hop to succeed.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import logging
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from commentluv import CommentLuv
from commentluv._net.deadline import Deadline
from commentluv._net.fetcher import Fetcher
from commentluv._net.http import HTTPTransport, Resolver
from commentluv._net.policy import AddressPolicy
from commentluv.errors import (
    BlockedURL,
    CommentLuvError,
    FetchError,
    FetchTimeout,
    ResponseTooLarge,
)
from tests.support.loopback import Route
from tests.support.tls import self_signed_certificate

MiB = 1024 * 1024


# Peak memory is read from /proc (VmHWM, reset through clear_refs): Linux only.
linux_memory = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to measure peak memory"
)


_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch) -> Iterator[list[object]]:
    """Safety net: a socket here may only connect to 127.0.0.1.

    With a protection broken (or removed for a mutation check), the forged answers below
    would send packets to private or public addresses; this refuses them and fails the test.
    """
    attempts: list[object] = []

    def connect(sock: socket.socket, address: tuple[object, ...]) -> None:
        if address[0] != "127.0.0.1":
            attempts.append(address[0])
            raise ConnectionRefusedError(f"the test refused a connection to {address[0]}")
        _real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert attempts == [], f"connections were attempted to {attempts}"


class LoopbackExemptPolicy(AddressPolicy):
    """The strict policy (ports included), except that 127.0.0.1 counts as public."""

    def __init__(self, *ports: int) -> None:
        super().__init__(allowed_ports=frozenset(ports))

    def check_address(self, address: str, *, url: str | None = None) -> None:
        if address != "127.0.0.1":
            super().check_address(address, url=url)


def fetch(url: str, *, policy: AddressPolicy | None = None, resolver: Resolver | None = None,
          seconds: float = 3.0, max_bytes: int = MiB, verify: bool | str = True,
          truncate: bool = False):  # fmt: skip
    fetcher = Fetcher(
        HTTPTransport(resolver=resolver, verify=verify),
        user_agent="commentluv-tests",
        policy=policy or AddressPolicy(allow_private_hosts=True),
    )
    deadline = Deadline(seconds)
    try:
        return fetcher.get(url, deadline=deadline, max_bytes=max_bytes, truncate=truncate)
    finally:
        deadline.close()
        fetcher.close()


def assert_reported(error: CommentLuvError, kind: str) -> None:
    """Every failure is one human line plus a stable machine kind."""
    assert error.kind == kind
    assert error.to_dict()["kind"] == kind
    assert "\n" not in str(error) and "\r" not in str(error)
    assert 0 < len(error.message) <= 300


def port_of(site) -> int:
    return site.server.server_address[1]


# DNS: forged answers, judged before connecting; one resolution per connection.

REFUSED_ANSWERS = [
    ["127.0.0.2"],
    ["10.0.0.5"],
    ["169.254.169.254"],
    ["100.100.100.200"],
    ["::1"],
    ["fe80::1%eth0"],
    ["::ffff:169.254.169.254"],
    ["64:ff9b::a9fe:a9fe"],
    ["93.184.215.14", "10.0.0.5"],  # mixed: refused as a whole, the public one is not tried
    ["2606:4700::6810:85e5", "fd00::1"],
]


@pytest.mark.parametrize("answers", REFUSED_ANSWERS)
def test_names_resolving_to_refused_addresses_are_blocked_without_connecting(site, answers):
    calls = []

    def resolver(host, port):
        calls.append(host)
        return answers

    with pytest.raises(BlockedURL) as caught:
        fetch(f"http://blog.example:{port_of(site)}/", policy=LoopbackExemptPolicy(port_of(site)),
              resolver=resolver)  # fmt: skip
    assert calls == ["blog.example"]
    assert site.hits == []
    assert_reported(caught.value, "blocked")
    # What an internal name resolves to is not told to whoever typed it.
    for address in answers:
        assert address.split("%")[0] not in str(caught.value)


def test_blocked_targets_look_the_same_whether_the_port_is_open_or_closed(site):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    open_ = port_of(site)
    policy = AddressPolicy(allowed_ports=frozenset({open_, closed}))
    messages = []
    for port in (open_, closed):
        with pytest.raises(BlockedURL) as caught:
            fetch(f"http://intranet.example:{port}/", policy=policy,
                  resolver=lambda host, port: ["127.0.0.1"])  # fmt: skip
        messages.append(caught.value.message)
    assert messages[0] == messages[1]
    assert site.hits == []


def rebinding(*answers: list[str]) -> tuple[Resolver, list[str]]:
    calls: list[str] = []
    queue = iter(answers)

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(queue)

    return resolver, calls


def test_dns_rebinding_is_checked_on_every_new_connection(site):
    # "Connection: close" forces a new connection, hence a new resolution, per request.
    site.add("/", "checked", headers={"Connection": "close"})
    port = port_of(site)
    resolver, calls = rebinding(["127.0.0.1"], ["127.0.0.3"])
    policy = LoopbackExemptPolicy(port)
    fetcher = Fetcher(HTTPTransport(resolver=resolver), user_agent="t", policy=policy)
    deadline = Deadline(3)
    try:
        first = fetcher.get(f"http://blog.example:{port}/", deadline=deadline, max_bytes=MiB)
        assert first.body == b"checked"
        with pytest.raises(BlockedURL):
            fetcher.get(f"http://blog.example:{port}/", deadline=deadline, max_bytes=MiB)
    finally:
        deadline.close()
        fetcher.close()
    assert calls == ["blog.example", "blog.example"]
    assert len(site.hits) == 1


def test_rebinding_resolver_gets_one_question_per_connection(site):
    # A first answer that is refused ends the request: the resolver is not asked again in
    # the hope of a better answer, and nothing connects.
    resolver, calls = rebinding(["10.0.0.1"], ["127.0.0.1"])
    with pytest.raises(BlockedURL):
        fetch(f"http://blog.example:{port_of(site)}/", policy=LoopbackExemptPolicy(port_of(site)),
              resolver=resolver)  # fmt: skip
    assert calls == ["blog.example"]
    assert site.hits == []


# TLS: certificates are verified against the name, never skipped or downgraded.


class _TLSSite:
    def __init__(self, cert: Path, key: Path) -> None:
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                if self.path == "/drip":  # headers one byte at a time, for 10 s
                    for byte in b"HTTP/1.1 200 OK\r\n" + b"X" * 50:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                body = b"over tls"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        # A failed handshake is the expected outcome in these tests; keep stderr quiet.
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for blog.example, made now (nothing trusts it by default)."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), "blog.example")


@pytest.fixture
def tls_site(certificate) -> Iterator[_TLSSite]:
    server = _TLSSite(*certificate)
    yield server
    server.server.shutdown()
    server.server.server_close()


def to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_a_self_signed_certificate_fails_without_falling_back_to_http(tls_site):
    with pytest.raises(FetchError) as caught:
        fetch(f"https://blog.example:{tls_site.port}/", policy=LoopbackExemptPolicy(tls_site.port),
              resolver=to_loopback)  # fmt: skip
    assert_reported(caught.value, "unreachable")
    assert "TLS" in caught.value.message
    assert tls_site.requests == 0


@pytest.mark.parametrize(("name", "served"), [("blog.example", True), ("other.example", False)])
def test_the_certificate_is_checked_against_the_name_not_the_address(
    tls_site, certificate, name, served
):
    # Trust the test certificate: then only the name decides. Both names resolve to the same
    # address, which appears in no certificate.
    verify = str(certificate[0])
    url = f"https://{name}:{tls_site.port}/"
    policy = LoopbackExemptPolicy(tls_site.port)
    if served:
        assert fetch(url, policy=policy, resolver=to_loopback, verify=verify).body == b"over tls"
    else:
        with pytest.raises(FetchError, match="TLS"):
            fetch(url, policy=policy, resolver=to_loopback, verify=verify)
    assert tls_site.requests == int(served)


def test_a_tls_server_that_trickles_its_headers_is_cut_at_the_deadline(tls_site, certificate):
    # The watchdog must shut the TLS socket down, not the plain one the handshake took over.
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(f"https://blog.example:{tls_site.port}/drip", policy=LoopbackExemptPolicy(tls_site.port),
              resolver=to_loopback, verify=str(certificate[0]), seconds=1.0)  # fmt: skip
    assert time.monotonic() - started < 1.5


# Redirects: each hop is judged like the first URL.


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f.1:{port}/",
        "http://[::ffff:10.0.0.1]/",
        "http://metadata.google.internal/",
        "http://intranet.example:{port}/",  # resolves (stub) to 10.1.1.1
        "http://127.0.0.1:22/",
        "gopher://127.0.0.1:{port}/",
        "dict://127.0.0.1:11211/",
        "http://evil@127.0.0.1:{port}/",
    ],
)
def test_every_redirect_status_to_a_refused_target_is_refused_at_that_hop(site, status, location):
    port = port_of(site)
    site.add("/", status=status, headers={"Location": location.format(port=port)})
    resolver, calls = rebinding(["127.0.0.1"], ["10.1.1.1"])
    with pytest.raises(BlockedURL) as caught:
        fetch(f"http://start.example:{port}/", policy=LoopbackExemptPolicy(port),
              resolver=resolver)  # fmt: skip
    assert_reported(caught.value, "blocked")
    assert site.paths() == ["/"]
    assert len(calls) == (2 if "intranet" in location else 1)


# Bodies: declared and actual sizes, encodings, bombs (memory measured in a child process).


def streaming(headers: dict[str, str], chunk: bytes, count: int):
    """A handler that sends ``headers`` then ``chunk`` ``count`` times, whatever they claim."""

    def handler(request) -> None:
        request.send_response(200)
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        with contextlib.suppress(OSError):  # the client hangs up at its cap, as it should
            for _ in range(count):
                request.wfile.write(chunk)
        request.close_connection = True

    return handler


lying_length = streaming({"Content-Length": "1000"}, b"x" * MiB, 10)
# No Content-Length, no chunking: the body runs until the server closes the socket.
close_delimited = streaming({"Connection": "close"}, b"y" * 64 * 1024, 1000)


def test_a_ten_gigabyte_content_length_is_refused_before_reading(site):
    # The server then sends nothing: waiting for the body would run into the deadline.
    site.add("/", handler=streaming({"Content-Length": "10000000000"}, b"", 0))
    started = time.monotonic()
    with pytest.raises(ResponseTooLarge, match="10000000000") as caught:
        fetch(site.url + "/", seconds=3)
    assert_reported(caught.value, "too_large")
    assert time.monotonic() - started < 1


def test_a_lying_content_length_reads_only_what_was_declared(site):
    site.add("/", handler=lying_length)
    assert len(fetch(site.url + "/").body) == 1000


def test_a_close_delimited_endless_body_stops_at_the_cap(site):
    site.add("/", handler=close_delimited)
    with pytest.raises(ResponseTooLarge) as caught:
        fetch(site.url + "/", max_bytes=256 * 1024)
    assert_reported(caught.value, "too_large")


def test_a_huge_declared_length_is_cut_at_the_cap_when_truncating(site):
    site.add("/", handler=streaming({"Content-Length": "10000000000"}, b"z" * 64 * 1024, 10_000))
    started = time.monotonic()
    response = fetch(site.url + "/", max_bytes=MiB, truncate=True)
    assert not response.complete and len(response.body) == MiB
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "x-bzip2", "BR"])
def test_encodings_not_asked_for_are_refused(site, encoding):
    site.add("/", b"\x1b\xff\xff" * 100, headers={"Content-Encoding": encoding})
    with pytest.raises(FetchError, match="not asked for") as caught:
        fetch(site.url + "/")
    assert_reported(caught.value, "unreachable")


@pytest.mark.parametrize("encoding", ["identity, gzip", "gzip,", "gzip, gzip", "deflate, gzip"])
def test_stacked_content_encodings_are_refused_before_decoding(site, encoding):
    # A decoder that takes each token in turn (urllib3 did, a blank or "identity" one as
    # deflate) reads these two-layer bodies whole: urllib3 2.2 reached 2 GiB RSS on them.
    body = gzip.compress(zlib.compress(b"<rss>" + bytes(64 * 1024) + b"</rss>"))
    site.add("/", body, headers={"Content-Encoding": encoding})
    with pytest.raises(FetchError, match="nested content encodings") as caught:
        fetch(site.url + "/")
    assert_reported(caught.value, "unreachable")


def test_a_single_identity_encoding_is_read_as_is(site):
    site.add("/", b"plain", headers={"Content-Encoding": "identity"})
    assert fetch(site.url + "/").body == b"plain"


BOMB_DECODED = 128 * MiB  # well over the 64 MB budget, so an uncapped read could not pass


def _gzip_bomb() -> bytes:
    # Gzip members may be concatenated; one compressed MiB of zeros repeated is a fast bomb.
    return gzip.compress(bytes(MiB), 9) * (BOMB_DECODED // MiB)


def _deflate_bomb() -> bytes:
    compressor = zlib.compressobj(1)
    chunk = bytes(MiB)
    return b"".join(compressor.compress(chunk) for _ in range(BOMB_DECODED // MiB)) + (
        compressor.flush()
    )


MEASURE = r"""
import json, re, sys, time
from commentluv._net.policy import AddressPolicy
from commentluv._net.deadline import Deadline
from commentluv._net.fetcher import Fetcher
from commentluv._net.http import HTTPTransport

fetcher = Fetcher(
    HTTPTransport(), user_agent="bomb-test", policy=AddressPolicy(allow_private_hosts=True)
)

def get(path):
    deadline = Deadline(10)
    try:
        return fetcher.get(sys.argv[1] + path, deadline=deadline, max_bytes=2 * 1024 * 1024,
                           truncate=sys.argv[3] == "truncate")
    finally:
        deadline.close()

def kib(field):
    with open("/proc/self/status") as status:
        return int(re.search(field + r":\s+(\d+)", status.read()).group(1))

get("/warm")  # imports and first-connection costs are not the bomb's
before = kib("VmRSS")
# Reset the peak resident size (Linux: "5" > clear_refs) so VmHWM is the peak of this fetch.
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")
started = time.monotonic()
try:
    response = get(sys.argv[2])
    outcome = {"kind": "ok", "bytes": len(response.body)}
except Exception as exc:
    outcome = {"kind": getattr(exc, "kind", type(exc).__name__)}
outcome["seconds"] = time.monotonic() - started
outcome["peak_growth_mb"] = (kib("VmHWM") - before) / 1024
print(json.dumps(outcome))
"""


def measure(site, path: str, *, truncate: bool = False) -> dict[str, object]:
    site.add("/warm", "warm")
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, site.url, path, "truncate" if truncate else "refuse"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    outcome: dict[str, object] = json.loads(result.stdout)
    print(path, outcome)  # shown with -s: the figures for the issue's closing table
    return outcome


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {"gzip": _gzip_bomb(), "x-gzip": _gzip_bomb(), "deflate": _deflate_bomb()}


@linux_memory
@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate"])
@pytest.mark.parametrize("truncate", [False, True])
def test_compression_bombs_stop_at_the_decoded_cap_in_bounded_memory(
    site, bombs, encoding, truncate
):
    site.add("/bomb", bombs[encoding], headers={"Content-Encoding": encoding})
    outcome = measure(site, "/bomb", truncate=truncate)
    if truncate:
        assert outcome["kind"] == "ok" and outcome["bytes"] == 2 * MiB
    else:
        assert outcome["kind"] == "too_large"
    assert isinstance(outcome["peak_growth_mb"], float) and outcome["peak_growth_mb"] < 64
    assert isinstance(outcome["seconds"], float) and outcome["seconds"] < 2


@linux_memory
def test_a_brotli_bomb_is_refused_before_decoding(site):
    # Brotli is not advertised; the body is never decoded, whatever is installed.
    site.add("/bomb", b"\x1b" + bytes(64 * 1024), headers={"Content-Encoding": "br"})
    outcome = measure(site, "/bomb", truncate=True)
    assert outcome["kind"] == "unreachable"


# Time: the whole lookup ends within its deadline plus 0.5 s, through the full client.

DEADLINE = 1.0


def listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def drip_headers(sock: socket.socket, stop: threading.Event) -> None:
    conn, _ = sock.accept()
    with conn:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            if stop.wait(0.5):
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return


def timed_lookup(
    url: str, resolver: Resolver | None = None, **options: object
) -> tuple[CommentLuvError, float]:
    started = time.monotonic()
    # Per-operation timeouts far above the deadline: only the total deadline can end these.
    transport = HTTPTransport(read_timeout=30, connect_timeout=30, resolver=resolver)
    luv = CommentLuv(timeout=DEADLINE, transport=transport, **options)  # type: ignore[arg-type]
    with luv, pytest.raises(CommentLuvError) as caught:
        luv.latest(url)
    return caught.value, time.monotonic() - started


def test_a_body_trickled_one_byte_every_half_second(site):
    site.add("/", b"<html><head><title>" + b"x" * 100, drip_delay=0.5)
    error, elapsed = timed_lookup(site.url + "/", allow_private_hosts=True)
    assert_reported(error, "timeout")
    assert elapsed < DEADLINE + 0.5
    print(f"trickled body: {elapsed:.2f} s")


@pytest.mark.parametrize("trickle", [True, False], ids=["trickled-headers", "never-answers"])
def test_a_server_that_trickles_headers_or_never_answers(trickle):
    sock, stop = listener(), threading.Event()
    if trickle:
        threading.Thread(target=drip_headers, args=(sock, stop), daemon=True).start()
    try:
        error, elapsed = timed_lookup(
            f"http://127.0.0.1:{sock.getsockname()[1]}/", allow_private_hosts=True
        )
    finally:
        stop.set()
        sock.close()
    assert_reported(error, "timeout")
    assert elapsed < DEADLINE + 0.5
    print(f"{'trickled headers' if trickle else 'never answers'}: {elapsed:.2f} s")


def test_a_dns_lookup_that_hangs():
    release = threading.Event()

    def hung(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["127.0.0.1"]

    try:
        error, elapsed = timed_lookup("http://slow-dns.example/", resolver=hung)
    finally:
        release.set()
    assert_reported(error, "timeout")
    assert elapsed < DEADLINE + 0.5


# The environment: proxies, .netrc and cookies are not consulted.


def test_proxy_environment_is_ignored(site, monkeypatch):
    proxy = type(site)()  # a second loopback server standing in for the proxy
    proxy.thread.start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        site.add("/", "direct")
        assert fetch(site.url + "/").body == b"direct"
        assert proxy.hits == []
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()


def test_netrc_is_ignored(site, monkeypatch, tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1\nlogin alice\npassword s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    site.add("/", "anonymous")
    assert fetch(site.url + "/").body == b"anonymous"
    assert "authorization" not in site.hits[0].headers


def test_cookies_set_by_a_redirect_are_not_sent_on_the_next_hop(site):
    site.add("/a", status=302, headers={"Location": "/b", "Set-Cookie": "sid=1; Path=/"})
    site.add("/b", "b")
    fetch(site.url + "/a")
    assert "cookie" not in site.hits[1].headers


# Private networks by name, metadata never by accident (issue 9).


def answering(*addresses: str) -> Resolver:
    """A forged DNS: every name resolves to ``addresses``."""
    return lambda host, port: list(addresses)


def test_allowed_networks_open_exactly_the_networks_named(site):
    site.add("/", "intranet page")
    port = port_of(site)
    url = f"http://wiki.corp.internal:{port}/"
    opened = AddressPolicy(
        allowed_networks=frozenset({"127.0.0.1/32"}), allowed_ports=frozenset({port})
    )
    assert fetch(url, policy=opened, resolver=answering("127.0.0.1")).body == b"intranet page"
    other = AddressPolicy(
        allowed_networks=frozenset({"127.0.0.2/32"}), allowed_ports=frozenset({port})
    )
    with pytest.raises(BlockedURL) as caught:
        fetch(url, policy=other, resolver=answering("127.0.0.1"))
    assert_reported(caught.value, "blocked")
    assert "127.0.0.1" not in caught.value.message  # never says what a name resolved to
    assert site.hits == [site.hits[0]]  # the refused lookup sent nothing


def test_a_redirect_out_of_the_allowed_network_is_refused(site):
    port = port_of(site)
    site.add("/", status=302, headers={"Location": f"http://elsewhere.corp.internal:{port}/x"})
    answers = {"wiki.corp.internal": ["127.0.0.1"], "elsewhere.corp.internal": ["10.1.2.3"]}
    policy = AddressPolicy(
        allowed_networks=frozenset({"127.0.0.0/8"}), allowed_ports=frozenset({port})
    )
    with pytest.raises(BlockedURL):
        fetch(f"http://wiki.corp.internal:{port}/", policy=policy, resolver=lambda h, p: answers[h])
    assert site.paths() == ["/"]


def test_a_feed_link_out_of_the_allowed_network_is_refused(site):
    port = port_of(site)
    site.add("/", f"<html><head><link rel='alternate' type='application/rss+xml' "
                  f"href='http://feeds.corp.internal:{port}/elsewhere.xml'></head></html>")  # fmt: skip
    site.add("/elsewhere.xml", "<rss><channel><item><title>t</title></item></channel></rss>")
    answers = {"blog.corp.internal": ["127.0.0.1"], "feeds.corp.internal": ["169.254.169.254"]}
    luv = CommentLuv(
        policy=AddressPolicy(
            allowed_networks=frozenset({"127.0.0.0/8"}), allowed_ports=frozenset({port})
        ),
        resolver=lambda host, _: answers[host],
        timeout=3,
    )
    with luv, pytest.raises(BlockedURL):
        luv.latest(f"http://blog.corp.internal:{port}/")
    assert "/elsewhere.xml" not in site.paths()


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "169.254.170.2", "fe80::1", "fd00:ec2::254", "100.100.100.200",
                "168.63.129.16", "192.0.0.192", "::ffff:169.254.169.254"],
)  # fmt: skip
def test_allow_private_hosts_never_opens_link_local_or_metadata(site, address):
    relaxed = AddressPolicy(allow_private_hosts=True)
    with pytest.raises(BlockedURL) as caught:
        relaxed.check_address(address)
    assert "allowed_networks" in caught.value.message
    with pytest.raises(BlockedURL):
        fetch(
            f"http://metadata.example:{port_of(site)}/", policy=relaxed, resolver=answering(address)
        )
    assert site.hits == []
    # Named explicitly, it is reachable (checked without connecting: this is a test machine).
    network = "fe80::/10" if address == "fe80::1" else address.removeprefix("::ffff:")
    AddressPolicy(allow_private_hosts=True, allowed_networks=frozenset({network})).check_address(
        address
    )


def test_allow_private_hosts_still_opens_private_ranges_and_names():
    relaxed = AddressPolicy(allow_private_hosts=True)
    for address in ("127.0.0.1", "10.0.0.1", "192.168.1.1", "fd12::1", "::1"):
        relaxed.check_address(address)
    relaxed.check_url("http://localhost:54321/")
    with pytest.raises(BlockedURL):
        relaxed.check_url("http://169.254.169.254/latest/meta-data/")


def test_bad_networks_are_refused_when_the_policy_is_built():
    with pytest.raises(ValueError, match="CIDR"):
        AddressPolicy(allowed_networks=frozenset({"10.0.0.0/33"}))


# A resolver is code of the caller's: whatever it answers, a lookup ends in a typed error.


@pytest.mark.parametrize("answer", [["not-an-ip"], ["127.0.0.1 "], [""], ["example.com"]])
def test_a_resolver_answering_something_other_than_an_ip_is_blocked(answer):
    luv = CommentLuv(resolver=lambda host, port: answer, timeout=2)
    with luv, pytest.raises(BlockedURL) as caught:
        luv.latest("http://example.com/")
    assert_reported(caught.value, "blocked")


# One transport, two policies: the strict client never reuses the permissive one's sockets.


def test_clients_sharing_a_transport_do_not_share_connections_across_policies(site):
    site.add("/", "private")  # keep-alive: the connection stays pooled after the first fetch
    port = port_of(site)
    transport = HTTPTransport(resolver=answering("127.0.0.1"))
    url = f"http://blog.example:{port}/"
    permissive = Fetcher(transport, user_agent="t", policy=AddressPolicy(allow_private_hosts=True))
    strict = Fetcher(
        transport, user_agent="t", policy=AddressPolicy(allowed_ports=frozenset({port}))
    )
    with Deadline(3) as deadline:
        assert permissive.get(url, deadline=deadline, max_bytes=MiB).body == b"private"
        with pytest.raises(BlockedURL):
            strict.get(url, deadline=deadline, max_bytes=MiB)
    assert site.paths() == ["/"]
    transport.close()


def test_an_outside_session_is_not_accepted():
    with pytest.raises(TypeError, match="session"):
        CommentLuv(session=object())  # type: ignore[call-arg]


# What servers say never drives a terminal or forges a log line.


def raw_answer(status_line: bytes, headers: bytes = b""):
    def handler(request) -> None:
        request.wfile.write(status_line + b"\r\n" + headers + b"Content-Length: 0\r\n\r\n")
        request.close_connection = True

    return handler


@pytest.mark.parametrize(
    ("status_line", "headers"),
    [
        (b"HTTP/1.1 500 \x1b]0;owned\x07\x1b[2J\x9b31m Evil", b""),
        (b"HTTP/1.1 404 Not\x1b[31mFound\x0b\x08\x7f", b""),
        (b"HTTP/1.1 302 Found", b"Location: javascript:\x1b[2Jalert(1)\r\n"),
        (b"HTTP/1.1 302 Found", b"Location: ftp://x/" + b"\x1b" * 500 + b"y" * 5000 + b"\r\n"),
    ],
)
def test_server_strings_in_messages_are_stripped_of_controls_and_capped(
    site, status_line, headers, caplog
):
    site.routes["/"] = Route(handler=raw_answer(status_line, headers))
    luv = CommentLuv(allow_private_hosts=True, timeout=2)
    with caplog.at_level(logging.DEBUG, logger="commentluv"), luv:
        result = luv.lookup(site.url + "/")
        assert luv.backlink("x", site.url + "/") is None
    error = result.error
    assert error is not None
    for text in (error.message, str(error), caplog.text):
        assert not any((ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F for ch in text)
    assert len(error.message) <= 300
