"""The HTTP layer against real sockets on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from commentluv._net.deadline import Deadline
from commentluv._net.fetcher import Fetcher
from commentluv._net.http import HTTPTransport
from commentluv._net.policy import AddressPolicy
from commentluv._net.transport import Request
from commentluv.errors import (
    BlockedURL,
    ChallengePage,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    TooManyRedirects,
)

MiB = 1024 * 1024


class OnlyTestServerPolicy(AddressPolicy):
    """The strict policy, except that the one test server counts as public.

    Lets tests show a refused *second* hop while the real rules judge it.
    """

    def __init__(self, port: int) -> None:
        super().__init__(allow_private_hosts=False)
        object.__setattr__(self, "exempt_port", port)

    def check_url(self, url: str) -> None:
        if url.startswith(f"http://127.0.0.1:{self.exempt_port}/"):
            return
        super().check_url(url)

    def check_address(self, address: str, *, url: str | None = None) -> None:
        if address != "127.0.0.1":
            super().check_address(address, url=url)


def make_fetcher(*, policy=None, resolver=None, read_timeout=5.0, **kwargs) -> Fetcher:
    return Fetcher(
        HTTPTransport(resolver=resolver, read_timeout=read_timeout),
        policy=policy or AddressPolicy(allow_private_hosts=True),
        user_agent="commentluv-tests",
        **kwargs,
    )


def get(fetcher: Fetcher, url: str, seconds: float = 5.0, **kwargs):
    deadline = Deadline(seconds)
    try:
        return fetcher.get(url, deadline=deadline, max_bytes=kwargs.pop("max_bytes", MiB), **kwargs)
    finally:
        deadline.close()


def test_get_returns_body_headers_and_sends_user_agent(site):
    site.add("/", "<html>hi</html>", headers={"X-Thing": "1"})
    response = get(make_fetcher(), site.url + "/")
    assert response.status == 200
    assert response.body == b"<html>hi</html>"
    assert response.headers["x-thing"] == "1"
    assert response.complete
    assert site.hits[0].headers["user-agent"] == "commentluv-tests"
    assert site.hits[0].headers["accept-encoding"] == "gzip, deflate"
    # No Accept field unless the caller names types: its absence means any (RFC 9110
    # section 12.5.1), and each field sent costs h11 work on every request.
    assert "accept" not in site.hits[0].headers
    get(make_fetcher(), site.url + "/", accept="text/html")
    assert site.hits[1].headers["accept"] == "text/html"


def test_each_host_keeps_its_connection_and_the_least_recently_used_pool_is_closed(site):
    def client_port(handler):  # the body names the connection: the client's port
        body = str(handler.client_address[1]).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.add("/", handler=client_port)
    fetcher = make_fetcher(resolver=lambda host, port: ["127.0.0.1"])
    port = site.server.server_address[1]

    def connection(host: str) -> bytes:
        return get(fetcher, f"http://{host}:{port}/").body

    first = {host: connection(host) for host in (f"h{i}.example" for i in range(65))}
    assert connection("h64.example") == first["h64.example"]  # kept alive for its host
    assert connection("h1.example") == first["h1.example"]  # 64 pools are kept...
    assert connection("h0.example") != first["h0.example"]  # ...the 65th closed the oldest


def raw_answer(*parts: bytes, close: bool = False):
    """A route that writes ``parts`` as they are (no framing added), the client's port last
    when a part is ``PORT``: shows which connection a request came on."""

    def answer(handler):
        for part in parts:
            handler.wfile.write(str(handler.client_address[1]).encode() if part == PORT else part)
        handler.wfile.flush()
        handler.close_connection = close

    return answer


PORT = b"<port>"


def test_chunks_with_extensions_and_trailers_are_read_and_the_connection_kept(site):
    site.add("/chunked", handler=raw_answer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5;name=value\r\n<port\r\n", b"1\r\n>\r\n", b"0\r\nX-Trailer: t\r\n\r\n",
    ))  # fmt: skip
    site.add("/port", handler=raw_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", PORT))
    fetcher = make_fetcher()
    assert get(fetcher, site.url + "/chunked").body == b"<port>"
    first = get(fetcher, site.url + "/port").body
    assert get(fetcher, site.url + "/port").body == first  # the same connection each time


@pytest.mark.parametrize(("padding", "kept"), [(1000, True), (3 * MiB, False)])
def test_a_body_stopped_early_keeps_its_connection_when_its_small_rest_has_arrived(
    site, padding, kept
):
    def port_then_padding(handler):
        body = str(handler.client_address[1]).encode().ljust(8) + b"x" * padding
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        with contextlib.suppress(OSError):  # the client may hang up on the rest
            handler.wfile.write(body)

    site.add("/page", handler=port_then_padding)
    fetcher = make_fetcher()

    def connection() -> bytes:
        stop_at_once = lambda url, body, headers: True  # noqa: E731
        return get(fetcher, site.url + "/page", max_bytes=4 * MiB, truncate=True,
                   stop=stop_at_once).body[:8]  # fmt: skip

    time.sleep(0.05)
    assert (connection() == connection()) is kept


def test_a_kept_connection_is_not_shut_by_the_deadline_of_the_lookup_that_kept_it(site):
    site.add("/", "<html>hi</html>")
    site.add("/slow", "<html>late</html>", delay=0.8)
    fetcher = make_fetcher()
    first = Deadline(0.4)  # a lookup still running elsewhere after its page came back
    fetcher.get(site.url + "/", deadline=first, max_bytes=MiB)
    with Deadline(5) as second:  # takes the kept connection; the first deadline passes
        response = fetcher.get(site.url + "/slow", deadline=second, max_bytes=MiB)
    assert first.expired and response.body == b"<html>late</html>"
    assert len(site.hits) == 2
    first.close()


def test_a_connection_the_server_closed_while_kept_is_replaced(site):
    site.add("/bye", handler=raw_answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", PORT, close=True
    ))  # fmt: skip
    fetcher = make_fetcher()
    first = get(fetcher, site.url + "/bye").body
    time.sleep(0.1)  # the server's close has reached the kept connection
    assert get(fetcher, site.url + "/bye").body != first  # a new connection, no error


def test_both_framings_are_read_as_chunks_and_the_connection_is_not_reused(site):
    site.add("/smuggle", handler=raw_answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5\r\n", PORT, b"\r\n0\r\n\r\n",
    ))  # fmt: skip
    fetcher = make_fetcher()
    first = get(fetcher, site.url + "/smuggle").body
    assert get(fetcher, site.url + "/smuggle").body != first


def test_an_early_hints_response_is_skipped_for_the_final_one(site):
    site.add("/hints", handler=raw_answer(
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Final: yes\r\n\r\nbody",
    ))  # fmt: skip
    response = get(make_fetcher(), site.url + "/hints")
    assert (response.status, response.body, response.headers["x-final"]) == (200, b"body", "yes")
    assert "link" not in response.headers


def test_an_http_1_0_body_ends_when_the_server_closes(site):
    site.add("/old", handler=raw_answer(
        b"HTTP/1.0 200 OK\nContent-Type: text/html\n\n", b"<html>" * 3000, close=True
    ))  # fmt: skip
    assert get(make_fetcher(), site.url + "/old").body == b"<html>" * 3000


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"ICY 200 OK\r\n\r\n", "not HTTP/1.x"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk header"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "without sending complete"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 5000, "chunk line"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
            + b"T: t\r\n" * 101
            + b"\r\n",
            "trailer fields",
        ),
        (b"HTTP/1.1 103 Early Hints\r\n\r\n" * 9, "informational responses"),
        (b"", "the connection failed"),
    ],
)
def test_answers_that_are_not_http_are_fetch_errors(site, answer, message):
    site.add("/bad", handler=raw_answer(answer, close=True))
    with pytest.raises(FetchError, match=message) as caught:
        get(make_fetcher(), site.url + "/bad")
    assert caught.value.kind == "unreachable" and caught.value.url == site.url + "/bad"


def test_a_request_sent_with_no_time_left_is_a_timeout(site):
    site.add("/", "<html>hi</html>")
    now = [0.0]
    deadline = Deadline(1.0, clock=lambda: now[0])
    now[0] = 1.0  # spent between the caller's check and the send (a lookup queued too long)
    with pytest.raises(FetchTimeout):
        HTTPTransport().send(
            Request(site.url + "/"),
            policy=AddressPolicy(allow_private_hosts=True),
            deadline=deadline,
        )
    assert site.hits == []


def test_gzip_bodies_are_decoded(site):
    site.add("/feed", b"<rss>" + b"x" * 5000 + b"</rss>", gzip=True)
    response = get(make_fetcher(), site.url + "/feed")
    assert response.body.startswith(b"<rss>xxx") and len(response.body) == 5011
    assert site.bytes_sent < 200


def test_redirects_are_followed_and_recorded(site):
    site.add("/a", status=301, headers={"Location": "/b"})
    site.add("/b", status=302, headers={"Location": site.url + "/c"})
    site.add("/c", "done")
    response = get(make_fetcher(), site.url + "/a")
    assert response.url == site.url + "/c"
    assert response.redirects == (site.url + "/a", site.url + "/b")
    assert response.body == b"done"


def test_redirect_loop_stops(site):
    site.add("/a", status=302, headers={"Location": "/b"})
    site.add("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(TooManyRedirects, match="loop"):
        get(make_fetcher(), site.url + "/a")


def test_more_than_five_redirects_stop(site):
    for i in range(8):
        site.add(f"/r{i}", status=307, headers={"Location": f"/r{i + 1}"})
    with pytest.raises(TooManyRedirects, match=r"more than 5"):
        get(make_fetcher(), site.url + "/r0")
    assert len(site.hits) == 6


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.com/", "javascript:alert(1)"],
)
def test_redirect_to_forbidden_scheme_is_refused(site, location):
    site.add("/", status=302, headers={"Location": location})
    with pytest.raises(BlockedURL):
        get(make_fetcher(), site.url + "/")


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/",
        "http://[::1]/",
    ],
)
def test_redirect_to_private_address_is_refused_at_that_hop(site, location):
    port = site.server.server_address[1]
    site.add("/", status=302, headers={"Location": location.format(port=port)})
    fetcher = make_fetcher(policy=OnlyTestServerPolicy(port))
    with pytest.raises(BlockedURL):
        get(fetcher, site.url + "/")
    assert site.paths() == ["/"]


def test_connection_goes_to_the_checked_address(site):
    site.add("/", "pinned")
    port = site.server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a rebinding resolver
    calls = []

    def resolver(host, port_):
        calls.append((host, port_))
        return next(answers)

    fetcher = make_fetcher(resolver=resolver)
    response = get(fetcher, f"http://blog.example:{port}/")
    assert response.body == b"pinned"
    assert calls == [("blog.example", port)]  # resolved once; the connection used that answer
    assert site.hits[0].headers["host"] == f"blog.example:{port}"


def endless(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"<item>" + b"x" * 8000 + b"</item>"
    try:
        for _ in range(10_000):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass


def test_endless_chunked_body_stops_at_the_cap(site):
    site.add("/endless", handler=endless)
    with pytest.raises(ResponseTooLarge):
        get(make_fetcher(), site.url + "/endless", max_bytes=256 * 1024)


def test_truncate_keeps_the_first_bytes_instead(site):
    site.add("/endless", handler=endless)
    response = get(make_fetcher(), site.url + "/endless", max_bytes=100_000, truncate=True)
    assert not response.complete
    assert len(response.body) == 100_000


def test_stop_callback_ends_the_read_early(site):
    site.add("/page", b"<head></head>" + b"x" * 3 * MiB)
    seen = []

    def stop(url, body, headers):
        seen.append(len(body))
        return len(body) >= 32 * 1024

    response = get(make_fetcher(), site.url + "/page", max_bytes=4 * MiB, truncate=True, stop=stop)
    assert not response.complete
    assert 32 * 1024 <= len(response.body) < 64 * 1024


def test_nested_content_encodings_are_refused(site):
    site.add("/", b"x", headers={"Content-Encoding": "gzip, gzip"})
    with pytest.raises(FetchError, match="nested"):
        get(make_fetcher(), site.url + "/")


def test_conditional_request_gets_304_with_empty_body(site):
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.end_headers()
            return
        body = b"<rss/>"
        handler.send_response(200)
        handler.send_header("ETag", '"v1"')
        handler.send_header("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.add("/feed", handler=conditional)
    fetcher = make_fetcher()
    first = get(fetcher, site.url + "/feed")
    assert first.headers["etag"] == '"v1"'
    second = get(
        fetcher, site.url + "/feed", etag='"v1"', last_modified=first.headers["last-modified"]
    )
    assert second.status == 304 and second.body == b""
    assert site.hits[1].headers["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    ("status", "kind"), [(404, "not_found"), (410, "not_found"), (500, "http_error")]
)
def test_error_statuses_raise_with_kind(site, status, kind):
    site.add("/", "nope", status=status)
    with pytest.raises(HTTPStatusError) as caught:
        get(make_fetcher(), site.url + "/")
    assert caught.value.status == status
    assert caught.value.kind == kind


def test_challenge_pages_have_a_kind_of_their_own(site):
    site.add("/", "Just a moment...", status=403, headers={"cf-mitigated": "challenge"})
    with pytest.raises(ChallengePage) as caught:
        get(make_fetcher(), site.url + "/")
    assert caught.value.kind == "challenge"


def test_cookies_are_never_sent_back(site):
    site.add("/a", "a", headers={"Set-Cookie": "session=secret; Path=/"})
    site.add("/b", "b")
    fetcher = make_fetcher()
    get(fetcher, site.url + "/a")
    get(fetcher, site.url + "/b")
    assert "cookie" not in site.hits[1].headers


def test_closed_port_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        get(make_fetcher(), f"http://127.0.0.1:{port}/")
    assert caught.value.kind == "unreachable"


def test_slow_drip_body_is_cut_at_the_total_deadline(site):
    site.add("/", b"x" * 200, drip_delay=0.1)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        get(make_fetcher(read_timeout=5), site.url + "/", seconds=1.0)
    assert time.monotonic() - started < 1.5


def test_slow_drip_headers_are_cut_at_the_total_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def drip_headers():
        conn, _ = listener.accept()
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.1)

    thread = threading.Thread(target=drip_headers, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchTimeout):
            get(make_fetcher(read_timeout=5), f"http://127.0.0.1:{listener.getsockname()[1]}/", 1.0)
        assert time.monotonic() - started < 1.5
    finally:
        stop.set()
        listener.close()


def test_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    started = time.monotonic()
    try:
        with pytest.raises(FetchTimeout):
            get(
                make_fetcher(read_timeout=30), f"http://127.0.0.1:{listener.getsockname()[1]}/", 1.0
            )
        assert time.monotonic() - started < 1.5
    finally:
        listener.close()


def test_hung_dns_lookup_times_out():
    def hung_resolver(host, port):
        time.sleep(5)
        return ["93.184.215.14"]

    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        get(make_fetcher(resolver=hung_resolver), "http://slow-dns.example/", 1.0)
    assert time.monotonic() - started < 1.5


def test_lookups_share_one_watchdog_thread_and_literal_addresses_start_none(site):
    from commentluv import CommentLuv, NullCache

    site.add("/", "<link rel='alternate' type='application/rss+xml' href='/feed'>")
    site.add("/feed", "<rss version='2.0'><channel><item><title>t</title>"
             "<link>https://a.example/1</link></item></channel></rss>")  # fmt: skip
    before = set(threading.enumerate())  # other tests' unclosed clients keep theirs
    with CommentLuv(allow_private_hosts=True, cache=NullCache()) as luv:
        before = set(threading.enumerate())
        luv.latest(site.url + "/")  # the watchdog thread starts here
        watchdogs = [t for t in set(threading.enumerate()) - before if "watchdog" in t.name]
        assert len(watchdogs) == 1
        started = []
        real_start = threading.Thread.start

        def counting_start(thread):
            if thread.name.startswith("commentluv"):  # not the test server's own threads
                started.append(thread.name)
            real_start(thread)

        threading.Thread.start = counting_start  # type: ignore[method-assign]
        try:
            for _ in range(20):
                luv.latest(site.url + "/")
        finally:
            threading.Thread.start = real_start  # type: ignore[method-assign]
        assert started == []
    assert not watchdogs[0].is_alive()  # closing the client stopped it


def test_the_watchdog_shuts_the_sockets_of_every_passing_deadline():
    from commentluv._net.deadline import Deadline, Watchdog

    watchdog = Watchdog()
    pairs = [socket.socketpair() for _ in range(3)]
    deadlines = [Deadline(0.2 + 0.1 * i, watchdog=watchdog) for i in range(3)]
    for deadline, (ours, _) in zip(deadlines, pairs, strict=True):
        deadline.watch(ours)
    deadlines[2].close()  # a lookup that ended in time: its socket is left alone
    time.sleep(0.6)
    assert [deadline.expired for deadline in deadlines] == [True, True, True]
    for (ours, theirs), shut in zip(pairs, (True, True, False), strict=True):
        if shut:
            assert ours.recv(1) == b""  # shut down: a read ends at once
        else:
            theirs.send(b"x")
            assert ours.recv(1) == b"x"  # still open
        ours.close()
        theirs.close()
    watchdog.close()


def test_the_watchdog_sleeps_through_the_deadlines_of_lookups_that_are_over():
    from commentluv._net.deadline import Deadline, Watchdog

    ticks = []  # the watchdog reads its clock once per wakeup

    def clock() -> float:
        ticks.append(None)
        return time.monotonic()

    watchdog = Watchdog(clock=clock)
    live = Deadline(0.3, watchdog=watchdog)
    left, right = socket.socketpair()
    live.watch(left)
    for i in range(20):  # lookups that start later and end at once, as one at a time do
        with Deadline(0.31 + i * 0.005, watchdog=watchdog) as over:
            over.watch(right)
    time.sleep(0.6)
    assert left.recv(1) == b""  # the live deadline was enforced
    assert len(ticks) <= 3  # the start, the live deadline, one spare: not 20 more
    late = Deadline(5, watchdog=watchdog)
    late.close()
    late.watch(right)  # a socket watched after its lookup ended is shut at once
    assert right.recv(1) == b""
    watchdog.close()
    left.close()
    right.close()


def test_resolver_threads_are_reused_and_a_hung_one_is_left_behind():
    from commentluv._net.deadline import Deadline

    calls = []

    def resolver(host, port):
        calls.append(host)
        if host == "hung.example":
            time.sleep(1.5)
        return ["127.0.0.1"]

    fetcher = make_fetcher(resolver=resolver)
    before = {t for t in threading.enumerate() if t.name == "commentluv-dns"}
    for n in range(10):  # a new connection each: the port answers nothing, fast
        with Deadline(2) as deadline, pytest.raises(FetchError):
            fetcher.get(f"http://site{n}.example:9/", deadline=deadline, max_bytes=MiB)
    threads = {t for t in threading.enumerate() if t.name == "commentluv-dns"} - before
    assert len(calls) == 10 and len(threads) == 1  # one thread served all ten
    started = time.monotonic()
    with Deadline(0.5) as deadline, pytest.raises(FetchTimeout):
        fetcher.get("http://hung.example:9/", deadline=deadline, max_bytes=MiB)
    assert time.monotonic() - started < 0.8  # the lookup did not wait for the hung resolver
    with Deadline(2) as deadline, pytest.raises(FetchError):
        fetcher.get("http://after.example:9/", deadline=deadline, max_bytes=MiB)
    assert calls[-1] == "after.example"  # answered by another thread meanwhile
    fetcher.close()
