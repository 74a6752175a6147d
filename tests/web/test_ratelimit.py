"""The service under load from strangers: per-client token buckets, trusted proxies, the cap
on cold lookups, and a flood of new URLs that must not stall answers for cached sites."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from commentluv import CommentLuv, FetchError, MockTransport
from commentluv.web import RateLimit, make_app
from commentluv.web.ratelimit import ClientAddresses, RateLimiter
from commentluv.web.slots import ColdSlots
from tests.support.fakes import Clock

SECRET = "a secret of at least sixteen bytes"


def test_a_bucket_allows_its_burst_then_refills():
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_second=2, burst=3), clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(0.5)
    assert limiter.take("b") == 0  # another client has its own bucket
    clock.now += 0.5
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0
    clock.now += 60
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]  # never more than the burst
    assert limiter.take("a") > 0


def test_wait_looks_without_spending():
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_second=2, burst=1), clock)
    assert limiter.wait("a") == 0
    limiter.take("a")
    assert limiter.wait("a") == pytest.approx(0.5)
    assert limiter.wait("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.wait("a") == 0 and limiter.take("a") == 0


def test_the_buckets_kept_are_bounded():
    limiter = RateLimiter(RateLimit(burst=1, max_clients=100), Clock())
    for n in range(1000):
        limiter.take(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100


@pytest.mark.parametrize(
    "options", [{"per_second": 0}, {"burst": 0}, {"burst": 1.5}, {"max_clients": 0}]
)
def test_bad_rate_limits_are_refused(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        RateLimit(**options)


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy():
    environ = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert ClientAddresses().key(environ) == "203.0.113.9"
    assert ClientAddresses(["10.0.0.0/8"]).key(environ) == "203.0.113.9"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_counts():
    addresses = ClientAddresses(["10.0.0.1", "10.1.0.0/16"])
    # The client may write anything on the left; the proxies append on the right.
    environ = {
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7, 10.1.2.3",
    }
    assert addresses.key(environ) == "198.51.100.7"
    assert addresses.key({"REMOTE_ADDR": "10.0.0.1"}) == "10.0.0.1"
    garbage = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7, junk"}
    assert addresses.key(garbage) == "10.0.0.1"


def test_ipv6_clients_count_by_64_and_mapped_ipv4_as_ipv4():
    addresses = ClientAddresses()
    assert addresses.key({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}) == "2001:db8:1:2::/64"
    assert addresses.key({"REMOTE_ADDR": "2001:db8:1:2:bbbb::9"}) == "2001:db8:1:2::/64"
    assert addresses.key({"REMOTE_ADDR": "::ffff:198.51.100.7"}) == "198.51.100.7"
    assert addresses.key({"REMOTE_ADDR": ""}) == "unknown"


@pytest.fixture
def luv(web, blog):
    client = CommentLuv(transport=web.transport, choice_secret=SECRET)
    client.recent(blog.site)
    yield client
    client.close()


def test_a_client_over_its_limit_gets_429_with_retry_after(luv, blog, wsgi):
    app = make_app(luv, rate_limit=RateLimit(per_second=0.5, burst=3))
    statuses = [wsgi(app, "/recent", {"url": blog.site}).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = wsgi(app, "/backlink", {"url": blog.site})
    assert refused.json["error"]["kind"] == "rate_limited"
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["cache-control"] == "no-store"
    assert wsgi(app, "/recent", {"url": blog.site}, addr="198.51.100.8").status == 200
    assert wsgi(app, "/commentluv.js").status == 200  # the widget itself is not counted


def test_bad_requests_count_too(luv, wsgi):
    app = make_app(luv, rate_limit=RateLimit(burst=2))
    assert [wsgi(app, "/recent").status for _ in range(3)] == [400, 400, 429]


def test_forwarded_for_only_through_a_trusted_proxy(luv, blog, wsgi):
    app = make_app(luv, rate_limit=RateLimit(burst=1), trusted_proxies=["127.0.0.1"])

    def ask(addr, forwarded):
        headers = {"X-Forwarded-For": forwarded}
        return wsgi(app, "/recent", {"url": blog.site}, addr=addr, headers=headers).status

    assert ask("127.0.0.1", "198.51.100.1") == 200
    assert ask("127.0.0.1", "198.51.100.2") == 200  # another client behind the proxy
    assert ask("127.0.0.1", "198.51.100.1") == 429
    assert ask("203.0.113.5", "198.51.100.3") == 200
    assert ask("203.0.113.5", "198.51.100.4") == 429  # not a proxy: its header is ignored


def test_paused_for_tells_a_server_whom_to_leave_unread(luv, blog, wsgi):
    app = make_app(luv, rate_limit=RateLimit(per_second=1, burst=1), trusted_proxies=["10.0.0.1"])
    assert app.paused_for("198.51.100.7") == 0
    wsgi(app, "/recent", {"url": blog.site}, addr="198.51.100.7")
    assert 0 < app.paused_for("198.51.100.7") <= 1
    assert app.paused_for("198.51.100.8") == 0
    wsgi(app, "/recent", {"url": blog.site}, addr="10.0.0.1")
    assert app.paused_for("10.0.0.1") == 0  # a proxy speaks for many clients: never paused
    assert make_app(luv, rate_limit=None).paused_for("198.51.100.7") == 0


class Gate:
    """A transport for slow sites: requests to ``*.slow.example`` wait for :meth:`open`."""

    def __init__(self, web) -> None:
        self.web = web
        self.waiting = 0
        self.arrived = threading.Condition()
        self.opened = threading.Event()
        self.transport = MockTransport(self.answer)

    def answer(self, request):
        if ".slow.example" not in request.url:
            return self.web.transport.handler(request)
        with self.arrived:
            self.waiting += 1
            self.arrived.notify_all()
        self.opened.wait(10)
        raise FetchError("the connection was refused", url=request.url)

    def wait_for(self, count: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.waiting >= count, timeout=5)


@pytest.fixture
def gate(web):
    gate = Gate(web)
    yield gate
    gate.opened.set()


def test_cold_lookups_beyond_the_cap_are_503_and_cached_ones_need_no_slot(gate, blog, wsgi):
    with CommentLuv(transport=gate.transport, choice_secret=SECRET) as luv:
        luv.recent(blog.site)
        app = make_app(luv, rate_limit=None, max_cold_lookups=1)
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(wsgi, app, "/recent", {"url": "https://a.slow.example/"})
            gate.wait_for(1)
            busy = wsgi(app, "/recent", {"url": "https://b.slow.example/"})
            assert (busy.status, busy.json["error"]["kind"]) == (503, "busy")
            assert busy.headers["retry-after"] == "2"
            assert wsgi(app, "/recent", {"url": blog.site}).status == 200
            gate.opened.set()
            assert held.result().status == 502
        # The slot is free again.
        assert wsgi(app, "/recent", {"url": "https://c.slow.example/"}).status == 502


def test_a_flood_of_new_urls_does_not_stall_cached_answers(gate, blog, wsgi):
    with CommentLuv(transport=gate.transport, choice_secret=SECRET, timeout=20) as luv:
        luv.recent(blog.site)
        app = make_app(luv, rate_limit=RateLimit(per_second=1, burst=20), max_cold_lookups=4)
        with ThreadPoolExecutor(32) as pool:
            flood = [
                pool.submit(wsgi, app, "/recent", {"url": f"https://s{n}.slow.example/"})
                for n in range(1000)
            ]
            gate.wait_for(2)  # its share of the cold slots is held by lookups that do not end
            # Everything else from the flooding client is refused at once, not queued.
            refused = [answer.result(timeout=5).status for answer in flood if not held(answer)]
            assert len(refused) == 998 and set(refused) == {429, 503}
            assert refused.count(429) >= 1000 - 30
            # A second client's cached lookups answer while the flood holds its cold slots.
            for _ in range(15):  # within its own burst
                answer = wsgi(app, "/recent", {"url": blog.site}, addr="198.51.100.99")
                assert answer.status == 200 and answer.json["ok"]
            assert gate.waiting == 2 and not gate.opened.is_set()
            gate.opened.set()
        assert [answer.result().status for answer in flood].count(502) == 2  # the held two


def test_one_client_gets_a_fair_share_of_the_cold_slots_not_all(gate, blog, wsgi):
    with CommentLuv(transport=gate.transport, choice_secret=SECRET) as luv:
        app = make_app(luv, rate_limit=None, max_cold_lookups=4)
        with ThreadPoolExecutor(4) as pool:
            # Sites that never answer, asked by one address: it holds half the slots, no more.
            greedy = [
                pool.submit(wsgi, app, "/recent", {"url": f"https://s{n}.slow.example/"})
                for n in range(4)
            ]
            gate.wait_for(2)
            refused = [future.result(timeout=5) for future in greedy if not held(future)]
            assert [(a.status, a.json["error"]["kind"]) for a in refused] == [(503, "busy")] * 2
            assert gate.waiting == 2
            # Another visitor asking about a new site is looked up.
            other = pool.submit(wsgi, app, "/recent", {"url": blog.site}, addr="198.51.100.99")
            assert other.result(timeout=5).status == 200
            gate.opened.set()
        assert [future.result().status for future in greedy].count(502) == 2


def test_a_cold_lookup_costs_more_of_the_bucket_than_a_cached_answer(luv, web, blog, wsgi):
    app = make_app(luv, rate_limit=RateLimit(per_second=0.001, burst=12))
    # The blog is cached (the fixture looked it up): twelve answers from a bucket of twelve.
    assert {wsgi(app, "/recent", {"url": blog.site}).status for _ in range(12)} == {200}
    app = make_app(luv, rate_limit=RateLimit(per_second=0.001, burst=12))
    statuses = [wsgi(app, "/recent", {"url": f"https://new{n}.example/"}).status for n in range(12)]
    assert statuses[:3] == [502] * 3 and set(statuses[3:]) == {429}  # nothing is there
    assert len(web.requests) >= 3


def held(future) -> bool:
    try:
        future.result(timeout=0.5)
    except FutureTimeout:  # not the built-in TimeoutError before Python 3.11
        return True
    return False


def test_cold_slots_are_shared_out_by_client():
    slots = ColdSlots(4)
    assert slots.per_client == 2 and ColdSlots(1).per_client == 1 and ColdSlots(5).per_client == 2
    assert [slots.take("a") for _ in range(3)] == [True, True, False]
    assert [slots.take("b"), slots.take("c"), slots.take("c")] == [True, True, False]
    assert slots.running == 4
    slots.give_back("a")
    assert slots.take("d")
    assert slots.running == 4 and not slots.take("a")  # the freed slot went to d
    slots.give_back("d")
    assert slots.take("a") and slots.running == 4
