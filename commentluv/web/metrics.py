"""The service's numbers for Prometheus (``pip install 'commentluv[metrics]'``), served at
``GET /metrics`` when asked for (``make_app(..., metrics=True)``, ``commentluv serve
--metrics``), and the Celery tasks' refresh counters.

Every name starts with ``commentluv_``; labels never carry a stranger's text (an unknown
path counts as ``endpoint="other"``, a failure by its error's kind).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from ..errors import CommentLuvError

__all__ = ["CacheOutcome", "Metrics", "RefreshCounters", "refresh_counters"]

# What the cache had for a lookup: a fresh answer, a stale one (served while a refresh runs
# behind), or nothing (the lookup went to the network, or was refused a slot).
CacheOutcome = Literal["fresh", "stale", "miss"]


class Metrics:
    """The service's counters, on a registry of its own (one per application)."""

    def __init__(self, cold_running: Callable[[], int]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        registry = self.registry
        self._requests = Counter(
            "commentluv_requests",
            "Requests answered, by endpoint and status",
            ["endpoint", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "commentluv_request_seconds",
            "Time to answer a request, by endpoint",
            ["endpoint"],
            registry=registry,
        )
        self._cache = Counter(
            "commentluv_cache_answers",
            "Lookups by what the cache had: fresh, stale (served, refreshed behind) or miss",
            ["outcome"],
            registry=registry,
        )
        running = Gauge(
            "commentluv_cold_lookups_running",
            "Lookups of sites not in the cache running now",
            registry=registry,
        )
        running.set_function(cold_running)
        self._cold_refused = Counter(
            "commentluv_cold_lookups_refused",
            "Lookups refused with 503 busy: no cold slot for the client",
            registry=registry,
        )
        self._rate_limited = Counter(
            "commentluv_rate_limited",
            "Requests refused with 429: the client was over its rate limit",
            registry=registry,
        )
        self._failures = Counter(
            "commentluv_lookup_failures",
            "Lookups answered with an error, by the error's kind",
            ["kind"],
            registry=registry,
        )

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        self._requests.labels(endpoint, str(status)).inc()
        self._latency.labels(endpoint).observe(seconds)

    def cache_answer(self, outcome: CacheOutcome) -> None:
        self._cache.labels(outcome).inc()

    def cold_refused(self) -> None:
        self._cold_refused.inc()

    def rate_limited(self) -> None:
        self._rate_limited.inc()

    def lookup_failed(self, kind: str) -> None:
        self._failures.labels(kind).inc()

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """What a scrape whose Accept header is ``accept`` reads, and its content type
        (the classic text format unless the scraper asks for another)."""
        from prometheus_client.exposition import choose_encoder

        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


class RefreshCounters:
    """The Celery tasks' refreshes: done, and failed by the error's kind."""

    def __init__(self, registry: CollectorRegistry) -> None:
        from prometheus_client import Counter

        self._done = Counter(
            "commentluv_refreshes", "Sites refreshed by the Celery tasks", registry=registry
        )
        self._failed = Counter(
            "commentluv_refresh_failures",
            "Refreshes by the Celery tasks that failed, by the error's kind",
            ["kind"],
            registry=registry,
        )

    def count(self, error: CommentLuvError | None) -> None:
        """One refresh, done (no error) or failed."""
        if error is None:
            self._done.inc()
        else:
            self._failed.labels(error.kind).inc()


@functools.cache
def refresh_counters() -> RefreshCounters:
    """The refresh counters on prometheus-client's default registry (what a worker serves
    with ``prometheus_client.start_http_server``), made once per process."""
    from prometheus_client import REGISTRY

    return RefreshCounters(REGISTRY)
