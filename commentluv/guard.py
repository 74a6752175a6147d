"""The SSRF policy (pure): which addresses, hosts and ports a lookup may connect to.

The HTTP layer asks this module about every URL before a request and about every address a
name resolves to before connecting; the checked address is the one it connects to.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ._urls import canonical_host
from .errors import BlockedURL

__all__ = ["DEFAULT_ALLOWED_PORTS", "AddressPolicy", "is_public_address"]

DEFAULT_ALLOWED_PORTS = frozenset({80, 443, 8080, 8443})

# Ranges refused even where ``ipaddress`` calls them global, and wrappers that embed an IPv4
# address (NAT64, 6to4, Teredo, IPv4-compatible) whose inner address could be anything.
_REFUSED_NETWORKS = tuple(
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

# Names that are always internal, whatever a resolver answers for them.
_REFUSED_NAMES = ("localhost", "metadata.google.internal", "metadata")
_REFUSED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when ``address`` is a globally routable unicast address safe to fetch from."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip.scope_id:
            return False
    if any(ip in net for net in _REFUSED_NETWORKS if net.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


@dataclass(frozen=True)
class AddressPolicy:
    """Where a lookup may connect.

    ``allow_private_hosts`` lifts every address and port rule (tests and intranets use
    loopback servers on ephemeral ports). Otherwise only public unicast addresses are allowed,
    on the ports in ``allowed_ports`` or the scheme's default port.
    """

    allow_private_hosts: bool = False
    allowed_ports: frozenset[int] = field(default=DEFAULT_ALLOWED_PORTS)

    def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme, literal address, well-known internal name or port is not
        allowed. Raises :class:`BlockedURL`. Names are checked again once resolved."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise BlockedURL(f"scheme {scheme!r} is not allowed", url=url)
        if parts.username is not None or parts.password is not None:
            raise BlockedURL("URLs with credentials are not allowed", url=url)
        if self.allow_private_hosts:
            return
        port = parts.port or (443 if scheme == "https" else 80)
        default_port = 443 if scheme == "https" else 80
        if port != default_port and port not in self.allowed_ports:
            raise BlockedURL(f"port {port} is not allowed", url=url)
        host = canonical_host(parts.hostname or "")
        if host in _REFUSED_NAMES or host.endswith(_REFUSED_SUFFIXES):
            raise BlockedURL(f"host {host!r} is not allowed", url=url)
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return
        if not is_public_address(literal):
            raise BlockedURL(f"address {host} is not a public address", url=url)

    def check_address(self, address: str, *, url: str | None = None) -> None:
        """Refuse a resolved address that is not public. Raises :class:`BlockedURL`."""
        if self.allow_private_hosts:
            return
        # The message does not name the address: it would tell a stranger what an internal
        # name resolves to. It is also the only answer for a refused target (no connection
        # is attempted), so open and closed ports look the same from outside.
        if not is_public_address(address.split("%", 1)[0]):
            raise BlockedURL("the host name resolves to a non-public address", url=url)
