"""Who is asking, and how often: the service's per-client token buckets, and the address a
request is counted under."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..cache import BucketCache

__all__ = ["ClientAddresses", "RateLimit", "RateLimiter", "SharedRateLimiter"]

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class RateLimit:
    """Requests allowed per client address: ``burst`` at once, refilled at ``per_second``.

    The buckets of at most ``max_clients`` addresses are kept (the least recently seen are
    forgotten first), so a flood of addresses costs bounded memory.
    """

    per_second: float = 1.0
    burst: int = 30
    max_clients: int = 10_000

    def __post_init__(self) -> None:
        if not self.per_second > 0:
            raise ValueError("per_second must be positive")
        if not (isinstance(self.burst, int) and self.burst >= 1):
            raise ValueError("burst must be an integer of at least 1")
        if not (isinstance(self.max_clients, int) and self.max_clients >= 1):
            raise ValueError("max_clients must be an integer of at least 1")


class RateLimiter:
    """Token buckets by key; thread-safe."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        # key → (tokens, when counted); insertion order is recency, oldest first.
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` requests from ``key``'s bucket: 0.0 when allowed, else the seconds
        until they would be (and nothing is spent)."""
        limit = self.limit
        with self._lock:
            now = self._clock()
            tokens, counted = self._buckets.pop(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - counted) * limit.per_second)
            wait = 0.0
            if tokens >= cost:
                tokens -= cost
            else:
                wait = (cost - tokens) / limit.per_second
            self._remember(key, tokens, now)
            return wait

    def _remember(self, key: str, tokens: float, now: float) -> None:
        """Keep ``key``'s bucket as counted at ``now`` (the lock held)."""
        self._buckets.pop(key, None)
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.limit.max_clients:
            del self._buckets[next(iter(self._buckets))]

    def wait(self, key: str) -> float:
        """The seconds until ``key`` may make a request, spending nothing (0.0: now)."""
        bucket = self._buckets.get(key)  # no lock: a server's event loop asks, often
        if bucket is None:
            return 0.0
        tokens, counted = bucket
        missing = 1 - tokens - (self._clock() - counted) * self.limit.per_second
        return max(0.0, missing / self.limit.per_second)


class SharedRateLimiter(RateLimiter):
    """Token buckets kept in a shared cache (a :class:`~commentluv.cache.redis.RedisCache`),
    so that every process using it gives a client one limit, not one each.

    What the cache last said of a bucket is also kept here: :meth:`wait` (asked by the
    server for every connection, often) answers from it without a round trip, and while the
    cache is unavailable the buckets go on here, each process counting alone."""

    def __init__(
        self,
        limit: RateLimit,
        cache: BucketCache,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(limit, clock)
        self._cache = cache

    def take(self, key: str, cost: float = 1.0) -> float:
        limit = self.limit
        shared = self._cache.bucket_take(
            f"commentluv:ratelimit:{key}", limit.per_second, limit.burst, cost
        )
        if shared is None:
            return super().take(key, cost)
        tokens, wait = shared
        with self._lock:
            self._remember(key, tokens, self._clock())
        return wait


class ClientAddresses:
    """The address a request counts under. By default the peer address, because any client
    can write ``X-Forwarded-For``. Only when the peer is one of ``trusted_proxies`` (addresses
    or networks) is that header read, from the right: the first address that is not a trusted
    proxy is the client. IPv6 clients count by /64, the block one host usually holds."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self._trusted = tuple(
            ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies
        )

    def peer_key(self, remote: str) -> str | None:
        """The key of a connection's peer address, or None for a trusted proxy (it speaks
        for many clients)."""
        peer = _parse(remote)
        if peer is None:
            return remote or "unknown"
        return None if self._is_trusted(peer) else _bucket(peer)

    def key(self, environ: Mapping[str, Any]) -> str:
        remote = str(environ.get("REMOTE_ADDR") or "")
        peer = _parse(remote)
        if peer is None:
            return remote or "unknown"
        if self._is_trusted(peer):
            for hop in reversed(str(environ.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
                address = _parse(hop)
                if address is None:
                    break  # not written by a proxy of ours: keep the last address we trust
                peer = address
                if not self._is_trusted(address):
                    break
        return _bucket(peer)

    def _is_trusted(self, address: _Address) -> bool:
        return any(address in network for network in self._trusted)


def _parse(text: str) -> _Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _bucket(address: _Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
