"""GET /metrics: the service's numbers in Prometheus's text format, read back with
prometheus-client's own parser."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from commentluv import CommentLuv, MemoryCache
from commentluv.web import RateLimit, make_app
from tests.web.test_ratelimit import Gate, held

pytest.importorskip("prometheus_client")
from prometheus_client.parser import text_string_to_metric_families

SECRET = b"the blog's own secret, 32 bytes!"


def scrape(app, wsgi) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = wsgi(app, "/metrics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.body.decode()):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


@pytest.fixture
def gate(web):
    gate = Gate(web)
    yield gate
    gate.opened.set()


def test_the_numbers_an_operator_watches(gate, web, blog, clock, wsgi):
    cache = MemoryCache(timer=clock)
    with CommentLuv(
        transport=gate.transport, clock=clock, cache=cache, choice_secret=SECRET
    ) as luv:
        app = make_app(
            luv, rate_limit=RateLimit(per_second=0.001, burst=20), max_cold_lookups=2, metrics=True
        )
        assert wsgi(app, "/recent", {"url": blog.site}).status == 200  # a miss: looked up
        for _ in range(3):
            assert wsgi(app, "/recent", {"url": blog.site}).status == 200  # fresh hits
        web.get("https://gone.example/", status=404)
        assert wsgi(app, "/backlink", {"url": "https://gone.example/"}).status == 502
        assert wsgi(app, "/recent", {"url": "javascript:alert(1)"}).status == 400
        clock.now += luv.freshness.posts_ttl + 1
        assert wsgi(app, "/recent", {"url": blog.site}).status == 200  # stale, served
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(wsgi, app, "/recent", {"url": "https://a.slow.example/"})
            gate.wait_for(1)
            assert held(slow)
            busy = wsgi(app, "/recent", {"url": "https://b.slow.example/"})
            assert busy.status == 503
            running = scrape(app, wsgi)
            gate.opened.set()
            assert slow.result().status == 502
        statuses = [wsgi(app, "/recent", {"url": blog.site}).status for _ in range(3)]
        assert 429 in statuses
        samples = scrape(app, wsgi)

    assert running["commentluv_cold_lookups_running", ()] == 1
    assert samples["commentluv_cold_lookups_running", ()] == 0
    assert samples["commentluv_cold_lookups_refused_total", ()] == 1
    requests = "commentluv_requests_total"
    assert samples[requests, (("endpoint", "/recent"), ("status", "200"))] == 5 + statuses.count(
        200
    )
    assert samples[requests, (("endpoint", "/backlink"), ("status", "502"))] == 1
    assert samples[requests, (("endpoint", "/recent"), ("status", "503"))] == 1
    assert samples[requests, (("endpoint", "/metrics"), ("status", "200"))] == 1
    assert samples["commentluv_rate_limited_total", ()] == statuses.count(429)
    cache_answers = "commentluv_cache_answers_total"
    assert samples[cache_answers, (("outcome", "fresh"),)] == 3 + statuses.count(200)
    assert samples[cache_answers, (("outcome", "stale"),)] == 1
    assert samples[cache_answers, (("outcome", "miss"),)] == 4  # blog, gone, a and b.slow
    failures = "commentluv_lookup_failures_total"
    assert samples[failures, (("kind", "not_found"),)] == 1
    assert samples[failures, (("kind", "invalid_url"),)] == 1
    assert samples[failures, (("kind", "unreachable"),)] == 1
    latency = "commentluv_request_seconds"
    total = samples[latency + "_count", (("endpoint", "/recent"),)]
    assert total == sum(
        value
        for (name, labels), value in samples.items()
        if name == requests and ("endpoint", "/recent") in labels
    )
    assert samples[latency + "_bucket", (("endpoint", "/recent"), ("le", "+Inf"))] == total


def test_metrics_are_off_unless_asked_for(luv_plain, wsgi):
    assert wsgi(make_app(luv_plain), "/metrics").status == 404


def test_a_strangers_path_is_not_a_label(luv_plain, wsgi):
    app = make_app(luv_plain, metrics=True)
    for n in range(50):
        assert wsgi(app, f"/probe{n}").status == 404
    samples = scrape(app, wsgi)
    assert samples["commentluv_requests_total", (("endpoint", "other"), ("status", "404"))] == 50


@pytest.fixture
def luv_plain(web):
    with CommentLuv(transport=web.transport, choice_secret=SECRET) as client:
        yield client
