"""The address policy (pure): which addresses, hosts and ports a lookup may connect to.

The fetcher asks it about every URL before a request (every redirect hop included) and the
HTTP transport about every address a name resolves to before connecting; the checked address
is the one it connects to.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

from .._shared.urls import DEFAULT_PORTS, canonical_host
from ..errors import BlockedURL, InvalidURL

__all__ = [
    "DEFAULT_ALLOWED_PORTS",
    "INVALID_PORT",
    "AddressPolicy",
    "URLParts",
    "is_public_address",
    "url_parts",
]

DEFAULT_ALLOWED_PORTS = frozenset({80, 443, 8080, 8443})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Networks:
    """A set of networks, kept by family as (netmask, network address) integers: an address
    is only ever in its own family's ones, and the test is ipaddress's own (the address's
    bits under the mask are the network's), without a Python call per network."""

    __slots__ = ("_v4", "_v6")

    def __init__(self, networks: Iterable[Network]) -> None:
        masks = [(net, (int(net.netmask), int(net.network_address))) for net in networks]
        self._v4 = tuple(bits for net, bits in masks if isinstance(net, ipaddress.IPv4Network))
        self._v6 = tuple(bits for net, bits in masks if isinstance(net, ipaddress.IPv6Network))

    def __contains__(self, ip: Address) -> bool:
        value = int(ip)
        for mask, network in self._v4 if isinstance(ip, ipaddress.IPv4Address) else self._v6:
            if value & mask == network:
                return True
        return False


# Ranges refused even where ``ipaddress`` calls them global, and wrappers that embed an IPv4
# address (NAT64, 6to4, Teredo, IPv4-compatible) whose inner address could be anything.
_REFUSED_NETWORKS = _Networks(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # CGNAT; also Alibaba Cloud metadata 100.100.100.200
        "168.63.129.16/32",  # Azure platform endpoint (a public address)
        "192.0.0.0/24",  # IETF protocol assignments (192.0.0.192 is Oracle Cloud metadata)
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved and broadcast
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

# Never reachable through allow_private_hosts alone, only when named in allowed_networks:
# link-local ranges (where cloud metadata services live) and the metadata addresses
# themselves (EC2's IPv6 one, Alibaba's, Azure's, Oracle's).
_NAMED_ONLY_NETWORKS = _Networks(
    ipaddress.ip_network(net)
    for net in (
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::254/128",
        "100.100.100.200/32",
        "168.63.129.16/32",
        "192.0.0.192/32",
    )
)

# Names that are always internal, whatever a resolver answers for them.
_REFUSED_NAMES = ("localhost", "metadata.google.internal", "metadata")
_REFUSED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")


INVALID_PORT = -1
""":attr:`URLParts.port` of a URL whose port is not a number from 0 to 65535."""


class URLParts(NamedTuple):
    """A URL as urllib reads it: scheme (lower-case), netloc, host (urllib's ``hostname``,
    lower-case, no brackets; None for none), port (None for none; :data:`INVALID_PORT`),
    path and query."""

    scheme: str
    netloc: str
    host: str | None
    port: int | None
    path: str
    query: str


@functools.lru_cache(maxsize=512)
def url_parts(url: str) -> URLParts:
    """``url`` split once for the policy's check of it and the transport's request for it
    (both read it here, so the host checked is the host connected to): reading its host and
    port costs urllib more than the split itself. Raises ValueError as urlsplit does."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = INVALID_PORT
    return URLParts(
        parts.scheme.lower(), parts.netloc, parts.hostname, port, parts.path, parts.query
    )


def is_public_address(address: str | Address) -> bool:
    """True when ``address`` is a globally routable unicast address safe to fetch from."""
    ip = _unwrapped(ipaddress.ip_address(address) if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return False
    if ip in _REFUSED_NETWORKS:
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _unwrapped(ip: Address) -> Address:
    """An IPv4-mapped IPv6 address is judged as its IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


# What a refusal message tells the developer to change, when that is the way to allow it.
_PRIVATE_HINT = (
    "allow it with allowed_networks= (CLI: --allow-network CIDR) or allow_private_hosts=True"
    " (CLI: --allow-private-hosts)"
)
_PORT_HINT = (
    "allow it with AddressPolicy(allowed_ports=...) (the command line has no port option),"
    " or allow_private_hosts=True (CLI: --allow-private-hosts), which allows every port and"
    " private addresses too"
)
_NAMED_ONLY_HINT = "link-local and cloud metadata addresses need allowed_networks= naming them"


@dataclass(frozen=True)
class AddressPolicy:
    """Where a lookup may connect.

    By default only public unicast addresses are allowed, on the ports in ``allowed_ports``
    or the scheme's default port. ``allowed_networks`` (CIDRs such as ``"10.20.0.0/16"``)
    opens exactly those networks, for an intranet. ``allow_private_hosts`` opens every
    private range and every port (tests and intranets use loopback servers on ephemeral
    ports), but never link-local addresses (169.254.0.0/16, fe80::/10) nor the cloud
    metadata addresses (169.254.169.254, fd00:ec2::254, 100.100.100.200, 168.63.129.16,
    192.0.0.192): those are reachable only when ``allowed_networks`` names them. Keep both
    off for URLs typed by strangers. The same rule applies to every redirect hop and every
    feed link, and to every address a name resolves to.
    """

    allow_private_hosts: bool = False
    allowed_ports: frozenset[int] = field(default=DEFAULT_ALLOWED_PORTS)
    allowed_networks: frozenset[Network] = field(default=frozenset())

    def __post_init__(self) -> None:
        try:
            networks = frozenset(
                net if isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network)
                else ipaddress.ip_network(net)
                for net in self.allowed_networks
            )  # fmt: skip
        except (TypeError, ValueError) as exc:
            raise ValueError(f"allowed_networks must be CIDRs such as 10.0.0.0/8: {exc}") from None
        object.__setattr__(self, "allowed_networks", networks)
        object.__setattr__(self, "allowed_ports", frozenset(self.allowed_ports))

    def __hash__(self) -> int:  # the idle connections' key hashes it on every request
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        return hash((self.allow_private_hosts, self.allowed_ports, self.allowed_networks))

    @functools.cached_property
    def _allowed(self) -> _Networks:
        return _Networks(self.allowed_networks)

    def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme, credentials, literal address, well-known internal name
        or port is not allowed. Raises :class:`InvalidURL` for a URL that is not plain http(s)
        and :class:`BlockedURL` for a refused target. Names are checked again once resolved."""
        parts = url_parts(url)
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            raise InvalidURL(f"not an http(s) URL (scheme {scheme!r})", url=url)
        if "@" in parts.netloc:  # a user name or password (the "@" sets them apart)
            raise InvalidURL("URLs with a user name or password are not accepted", url=url)
        # The host before the port: for a refused address, allowing its port would not help,
        # so the message names what would.
        self._check_host(canonical_host(parts.host or ""), url=url)
        if parts.port == INVALID_PORT:
            raise InvalidURL("not an http(s) URL with a valid port", url=url)
        if not self.allow_private_hosts:
            default_port = DEFAULT_PORTS[scheme]
            port = parts.port or default_port
            if port != default_port and port not in self.allowed_ports:
                raise BlockedURL(f"port {port} is not allowed: {_PORT_HINT}", url=url)

    def _check_host(self, host: str, *, url: str) -> None:
        literal = _ip_literal(host)
        if literal is None:
            # With networks opened, an internal name is judged by what it resolves to.
            if not (self.allow_private_hosts or self.allowed_networks) and (
                host in _REFUSED_NAMES or host.endswith(_REFUSED_SUFFIXES)
            ):
                raise BlockedURL(f"host {host!r} is not allowed: {_PRIVATE_HINT}", url=url)
            return
        self._check(literal, url=url, shown=host)

    def check_address(self, address: str, *, url: str | None = None) -> None:
        """Refuse a resolved address that may not be reached. Raises :class:`BlockedURL`."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise BlockedURL(
                "the resolver answered something that is not an IP address", url=url
            ) from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            raise BlockedURL("scoped IPv6 addresses are not allowed", url=url)
        # The message does not name the address: it would tell a stranger what an internal
        # name resolves to. It is also the only answer for a refused target (no connection
        # is attempted), so open and closed ports look the same from outside.
        self._check(ip, url=url, shown="the host name resolves to a non-public address")

    def _check(self, ip: Address, *, url: str | None, shown: str) -> None:
        ip = _unwrapped(ip)
        if ip in self._allowed:
            return
        if ip in _NAMED_ONLY_NETWORKS:
            raise BlockedURL(f"{_describe(shown)}: {_NAMED_ONLY_HINT}", url=url)
        if self.allow_private_hosts or is_public_address(ip):
            return
        raise BlockedURL(f"{_describe(shown)}: {_PRIVATE_HINT}", url=url)


def _ip_literal(host: str) -> Address | None:
    """The address a (canonical) host spells, or None for a name. Most hosts are names, and
    failing to parse one as an address costs two exceptions: only digits and dots (IPv4)
    or a colon (IPv6) can spell one."""
    if ":" not in host and not host.replace(".", "").isdigit():
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _describe(shown: str) -> str:
    return shown if " " in shown else f"address {shown} is not a public address"
