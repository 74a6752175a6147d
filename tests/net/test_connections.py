"""Connections as hostile and ordinary servers leave them, through the public API.

Each test drives ``CommentLuv(...).lookup(url)`` against a scripted raw-socket server on
loopback (127.0.0.1, and ::1 where IPv6 is the point), names forged onto it with
``resolver=``. Issue 18, items 1 to 7: each failed on the hand-written HTTP/1.1 layer.
"""

from __future__ import annotations

import contextlib
import gzip
import select
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from commentluv import CommentLuv
from commentluv.errors import ResponseTooLarge
from tests.net.raw import Answer, Seen, response, send, serve

_real_connect = socket.socket.connect
LOOPBACK = ("127.0.0.1", "::1")


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch) -> Iterator[None]:
    """Safety net: a socket here may only connect to a loopback address."""
    attempts: list[object] = []

    def connect(sock: socket.socket, address: tuple[object, ...]) -> None:
        if address[0] not in LOOPBACK:
            attempts.append(address[0])
            raise ConnectionRefusedError(f"the test refused a connection to {address[0]}")
        _real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield
    assert attempts == [], f"connections were attempted to {attempts}"


def page(feed: str) -> bytes:
    return (
        f'<html><head><link rel="alternate" type="application/rss+xml" href="{feed}">'
        "</head><body>hello</body></html>"
    ).encode()


def rss(title: str, link: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{link}</link><item><title>{title}</title><link>{link}</link></item>"
        "</channel></rss>"
    ).encode()


def forged(*addresses: str) -> Callable[[str, int], list[str]]:
    return lambda host, port: list(addresses)


def client(**options: object) -> CommentLuv:
    options.setdefault("resolver", forged("127.0.0.1"))
    return CommentLuv(allow_private_hosts=True, **options)  # type: ignore[arg-type]


def bob(host: str) -> dict[str, Answer]:
    return {
        "/~bob/": send(response(page("/~bob/feed"))),
        "/~bob/feed": send(
            response(rss("Bob's real post", f"http://{host}/~bob/1"), "application/rss+xml")
        ),
    }


def titles(result) -> list[str]:
    assert result.error is None, result.error
    return [post.title for post in result.posts]


# 1. A body read that failed never hands its connection to the next lookup.

FAKE = response(
    rss("Alice wrote this for Bob", "http://shared.example/~alice/1"), "application/rss+xml"
)


def rest_of_body_on_the_next_request(start: bytes, *, pause: float = 0.0) -> Answer:
    """Alice's reply: a head declaring a body that ends with a fake response, and the start
    of the body; the rest comes when the next request arrives on the connection (on a
    shared host, her slow script resuming just then)."""

    def answer(conn: socket.socket, seen: Seen) -> bool:
        conn.sendall(start)
        time.sleep(pause)
        select.select([conn], [], [], 5)
        conn.sendall(FAKE)
        return False

    return answer


def declared(fields: str, body_start: bytes) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{fields}\r\n".encode() + body_start


POISONED_BODIES = {
    "a read timeout mid-body": declared(f"Content-Length: {6 + len(FAKE)}\r\n", b"<html>"),
    "a malformed chunk-size line": declared(
        "Transfer-Encoding: chunked\r\n", b"6\r\n<html>\r\nzz\r\n"
    ),
    "an undecodable gzip body": declared(
        f"Content-Encoding: gzip\r\nContent-Length: {20 + len(FAKE)}\r\n", b"not gzip, not at all"
    ),
}


@pytest.mark.parametrize("how", list(POISONED_BODIES))
def test_a_body_read_that_failed_never_hands_its_connection_to_another_tenant(servers, how):
    answers = {"/~alice/": rest_of_body_on_the_next_request(POISONED_BODIES[how])}
    server = serve(servers, {**answers, **bob("shared.example")})
    with client(read_timeout=0.3, timeout=4) as luv:
        alice = luv.lookup(f"http://shared.example:{server.port}/~alice/")
        assert alice.error is not None
        assert titles(luv.lookup(f"http://shared.example:{server.port}/~bob/")) == [
            "Bob's real post"
        ]
    assert server.seen[0].connection == 0
    assert all(seen.connection > 0 for seen in server.seen[1:])  # Bob never on Alice's


# 2. Bytes that arrive between responses: the connection holding them is never reused.


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def then_unasked(data: bytes) -> Answer:
    """A complete reply and, in the same write (one TLS record), a fake one nobody asked
    for: the client has the fake in hand, decrypted, when it sends the next request."""

    def answer(conn: socket.socket, seen: Seen) -> None:
        conn.sendall(data + FAKE)

    return answer


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_bytes_sent_unasked_after_a_response_are_never_read_as_the_next(servers, test_ca, scheme):
    ca, cert, key = test_ca
    answers = bob("shared.example")
    answers["/~bob/"] = then_unasked(response(page("/~bob/feed")))
    tls = server_tls(cert, key) if scheme == "https" else None
    server = serve(servers, answers, tls=tls)
    with client(**({"ca_bundle": str(ca)} if tls else {})) as luv:
        result = luv.lookup(f"{scheme}://shared.example:{server.port}/~bob/")
    assert titles(result) == ["Bob's real post"]
    assert server.paths() == ["/~bob/", "/~bob/feed"]
    assert server.seen[1].connection == 1  # the connection holding the fake was dropped


# 3. The bytes read from the wire are capped too, not only the decoded ones.


def endless_after(start: bytes, filler: bytes, sent: list[int]) -> Answer:
    """A compressed body that ends early, then ``filler`` for as long as it is read
    (close-delimited); ``sent`` counts the bytes written after ``start``."""
    coding = b"gzip" if start[:2] == b"\x1f\x8b" else b"deflate"

    def answer(conn: socket.socket, seen: Seen) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
                     + coding + b"\r\n\r\n" + start)  # fmt: skip
        with contextlib.suppress(OSError):
            while sent[0] < 2 * 1024**3:
                conn.sendall(filler)
                sent[0] += len(filler)
        return False

    return answer


PAGE_CAP = 256 * 1024
ENDLESS = {
    "junk after a tiny zlib stream": (zlib.compress(b"<html>hi</html>"), b"\x00" * 65536),
    "endless empty gzip members": (gzip.compress(b""), gzip.compress(b"") * 3276),
}


@pytest.mark.parametrize("how", list(ENDLESS))
def test_bytes_read_from_the_wire_stop_near_the_cap_not_at_the_deadline(servers, how):
    sent = [0]
    server = serve(servers, {"/": endless_after(*ENDLESS[how], sent)})
    with client(max_page_bytes=PAGE_CAP, timeout=2) as luv:
        luv.lookup(f"http://bomb.example:{server.port}/")
    # Loopback socket buffers hold a few MiB the client never read; the old transport read
    # hundreds of MiB here, until the deadline.
    assert sent[0] < PAGE_CAP + 16 * 1024**2


# 4. A kept connection the server closed just before the request is replaced, once.


def close_without_answering(conn: socket.socket, seen: Seen) -> bool:
    return False


def test_a_request_on_a_kept_connection_that_gets_no_answer_is_sent_again_once(servers):
    answers = bob("stale.example")
    feed = answers["/~bob/feed"]

    def feed_closes_the_first_connection(conn: socket.socket, seen: Seen) -> bool | None:
        return False if seen.connection == 0 else feed(conn, seen)

    answers["/~bob/feed"] = feed_closes_the_first_connection
    server = serve(servers, answers)
    with client() as luv:
        result = luv.lookup(f"http://stale.example:{server.port}/~bob/")
    assert titles(result) == ["Bob's real post"]
    assert [(seen.path, seen.connection) for seen in server.seen] == [
        ("/~bob/", 0),
        ("/~bob/feed", 0),
        ("/~bob/feed", 1),
    ]


def test_a_request_on_a_new_connection_is_never_sent_again(servers):
    answers = bob("stale.example")
    answers["/~bob/feed"] = close_without_answering
    server = serve(servers, answers)
    with client() as luv:
        result = luv.lookup(f"http://stale.example:{server.port}/~bob/")
    assert result.error is not None
    # Once on the kept connection, once more on a new one: that one is not retried.
    feeds = [seen.connection for seen in server.seen if seen.path == "/~bob/feed"]
    assert feeds == [0, 1]


# 5. Addresses: a black hole on the first does not hold the lookup for the connect timeout.


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) here")


@contextlib.contextmanager
def black_hole(host: str, port: int) -> Iterator[None]:
    """A listener on ``host:port`` whose backlog is full: new connections get no answer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as listener:
        listener.bind((host, port))
        listener.listen(0)
        filler = socket.socket(family)
        filler.settimeout(1)
        _real_connect(filler, (host, port))
        try:
            yield
        finally:
            filler.close()


@needs_ipv6
def test_a_site_on_ipv6_loopback_is_read(servers):
    server = serve(servers, bob("six.example"), host="::1")
    with client(resolver=forged("::1")) as luv:
        assert titles(luv.lookup(f"http://six.example:{server.port}/~bob/")) == ["Bob's real post"]


@needs_ipv6
@pytest.mark.parametrize(("dead", "live"), [("::1", "127.0.0.1"), ("127.0.0.1", "::1")])
def test_a_black_holed_first_address_does_not_hold_the_lookup(servers, dead, live):
    server = serve(servers, bob("both.example"), host=live)
    with black_hole(dead, server.port), client(resolver=forged(dead, live)) as luv:
        started = time.monotonic()
        result = luv.lookup(f"http://both.example:{server.port}/~bob/")
        elapsed = time.monotonic() - started
    assert titles(result) == ["Bob's real post"]
    # The connect timeout is 3.05 s; the next address starts 0.25 s after the first.
    assert elapsed < 2.0


# 6. A head over the limit is too large, not unreachable.


def test_a_response_head_over_64_kib_is_too_large(servers):
    head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * (70 * 1024) + b"\r\nContent-Length: 0\r\n\r\n"
    server = serve(servers, {"/": send(head)})
    with client() as luv:
        result = luv.lookup(f"http://big.example:{server.port}/")
    assert isinstance(result.error, ResponseTooLarge)
    assert result.error.kind == "too_large"


# 7. Validators go only to the URL they were stored for.


def test_validators_are_not_sent_to_a_redirect_target(servers):
    moved = {"now": False}
    feed = rss("A post", "http://one.example/1")

    def the_feed(conn: socket.socket, seen: Seen) -> None:
        if seen.headers["host"].startswith("two."):
            conn.sendall(response(feed, "application/rss+xml"))
            return
        if not moved["now"]:
            conn.sendall(response(feed, "application/rss+xml", ETag='"v1"',
                                  Last_Modified="Mon, 01 Jun 2026 10:00:00 GMT"))  # fmt: skip
            return
        location = f"http://two.example:{seen.headers['host'].split(':')[1]}/feed"
        conn.sendall(
            f"HTTP/1.1 301 Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
        )

    answers = {"/": send(response(page("/feed"))), "/feed": the_feed}
    server = serve(servers, answers)
    with client() as luv:
        url = f"http://one.example:{server.port}/"
        assert titles(luv.lookup(url)) == ["A post"]
        moved["now"] = True
        luv.refresh(url)
    feeds = [seen for seen in server.seen if seen.path == "/feed"]
    assert [seen.headers["host"].split(":")[0] for seen in feeds] == [
        "one.example",
        "one.example",
        "two.example",
    ]
    assert feeds[1].headers.get("if-none-match") == '"v1"'  # sent where it was stored
    assert "if-none-match" not in feeds[2].headers
    assert "if-modified-since" not in feeds[2].headers
