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
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed):
            return True
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


def split_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, or UnsafeUrl."""
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
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)
