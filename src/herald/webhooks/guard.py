"""Where webhooks may go: public addresses only, unless the operator allows more.

A tenant chooses the URL, so without a guard a webhook is a way to make Herald call the
machines around it (cloud metadata at 169.254.169.254, an admin port on 127.0.0.1, the
private network). The guard checks the URL when it is registered and again, on the
resolved address, each time a connection is opened (so that a DNS answer that changes
after registration cannot point Herald inside).
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeUrl(Exception):
    """The URL is malformed or leads somewhere webhooks may not go."""


# getaddrinfo has no timeout of its own: it runs here, and a caller waits for it at most
# `resolve_timeout` (a stuck lookup then occupies one of these threads until the system gives
# up, not the API request or the delivery worker that asked).
_RESOLVERS = ThreadPoolExecutor(4, thread_name_prefix="webhook-dns")
Resolver = Callable[..., list[Any]]


@dataclass(frozen=True, slots=True)
class AddressGuard:
    # Networks allowed although not public (e.g. 127.0.0.0/8 for local development).
    allowed: tuple[IPNetwork, ...] = ()
    resolve_timeout: float = 5.0
    resolver: Resolver = field(default=socket.getaddrinfo, compare=False)

    @classmethod
    def from_setting(cls, networks: str | Iterable[str]) -> AddressGuard:
        """'127.0.0.0/8, ::1' -> a guard that allows those networks."""
        items = networks.split(",") if isinstance(networks, str) else networks
        return cls(tuple(ipaddress.ip_network(n.strip(), strict=False) for n in items if n.strip()))

    def permits(self, address: IPAddress) -> bool:
        if any(address in network for network in self.allowed):
            return True
        if isinstance(address, ipaddress.IPv6Address):
            if any(address in network for network in OPAQUE_IPV6):
                return False
            embedded = embedded_ipv4(address)
            if embedded is not None:
                return self.permits(embedded)
        # is_global is False for private, loopback, link-local, shared (100.64/10),
        # reserved and unspecified addresses.
        return address.is_global and not address.is_multicast

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, all of which must be permitted."""
        lookup = _RESOLVERS.submit(self.resolver, host, port, type=socket.SOCK_STREAM)
        try:
            infos = lookup.result(timeout=self.resolve_timeout)
        except FutureTimeout as exc:
            raise UnsafeUrl(
                f"The host {host} did not resolve within {self.resolve_timeout:g} s."
            ) from exc
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeUrl(f"The host {host} does not resolve.") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            if not self.permits(ipaddress.ip_address(address.split("%")[0])):
                raise UnsafeUrl(
                    f"The host {host} resolves to {address}, a private, loopback or link-local "
                    "address that webhooks may not reach."
                )
        return addresses

    def check_url(self, url: str) -> None:
        host, port = split_url(url)
        self.resolve(host, port)


# IPv6 forms that carry an IPv4 address, which is where the packets end up: IPv4-mapped
# (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d,
# deprecated, also :: and ::1), NAT64's well-known prefix (64:ff9b::a.b.c.d) and 6to4
# (2002:aabb:ccdd::). They are judged by that IPv4 address, whatever Python's version
# thinks of the IPv6 one.
EMBEDDING_IPV6: tuple[tuple[ipaddress.IPv6Network, Callable[[int], int]], ...] = (
    (ipaddress.IPv6Network("::ffff:0:0/96"), lambda bits: bits & 0xFFFFFFFF),
    (ipaddress.IPv6Network("::ffff:0:0:0/96"), lambda bits: bits & 0xFFFFFFFF),
    (ipaddress.IPv6Network("::/96"), lambda bits: bits & 0xFFFFFFFF),
    (ipaddress.IPv6Network("64:ff9b::/96"), lambda bits: bits & 0xFFFFFFFF),
    (ipaddress.IPv6Network("2002::/16"), lambda bits: (bits >> 80) & 0xFFFFFFFF),
)
# IPv6 ranges whose destination cannot be read from the address: Teredo (2001::/32, a relay
# to a NAT of anyone's choosing, long obsolete) and local-use NAT64 (64:ff9b:1::/48,
# translated by the local network's own rules). Refused unless explicitly allowed.
OPAQUE_IPV6 = (ipaddress.IPv6Network("2001::/32"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    for network, extract in EMBEDDING_IPV6:
        if address in network:
            return ipaddress.IPv4Address(extract(int(address)))
    return None


def split_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, or UnsafeUrl. Any port 1-65535 is accepted: what
    protects the host is the address check, not the port."""
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in url):
        raise UnsafeUrl("The URL must not contain spaces, line breaks or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL is not valid.") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("The URL must start with https:// or http://.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials.")
    if port == 0:
        raise UnsafeUrl("The URL's port must be between 1 and 65535.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)
