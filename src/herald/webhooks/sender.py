"""The HTTP edge of webhooks: POST a signed body to an endpoint, report what happened.

Built on httpcore (httpx's transport layer) so that the connection itself goes through
the address guard: the host is resolved and checked when each connection is opened, and
the socket connects to the address that was checked. Redirects are never followed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpcore
import httpx

from herald.webhooks.guard import AddressGuard, UnsafeUrl

USER_AGENT = "Herald-Webhooks/1"
# Enough of a reply to show in the delivery log; the rest is not read.
REPLY_EXCERPT_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int | None  # None: no HTTP answer (refused, timed out, blocked)
    latency_ms: int
    retry_after: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer: ...

    def close(self) -> None: ...


class BlockedAddress(httpcore.ConnectError):
    """The host resolved to an address the guard refuses."""


class GuardedBackend(httpcore.SyncBackend):
    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._guard.resolve(host, port)
        except UnsafeUrl as exc:
            raise BlockedAddress(str(exc)) from exc
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure


class HttpSender:
    def __init__(self, guard: AddressGuard, timeout: float = 10.0, max_connections: int = 20):
        self._timeout = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            network_backend=GuardedBackend(guard),
        )

    def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        started = time.perf_counter()
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return Answer(None, _ms(started), error=f"Bad URL: {exc}"[:500])
        request_headers: dict[bytes | str, bytes | str] = {
            # httpx spells the authority as HTTP wants it: an IPv6 literal in brackets
            # ("[2001:db8::1]:8443"), the default port left out.
            "host": target.netloc,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        request_headers.update(headers)
        try:
            with self._pool.stream(
                "POST",
                httpcore.URL(
                    scheme=target.raw_scheme,
                    host=target.raw_host,
                    port=target.port,
                    target=target.raw_path,
                ),
                headers=request_headers,
                content=body,
                extensions={"timeout": self._timeout},
            ) as response:
                _read_some(response)
                retry_after = _header(response, b"retry-after")
                status = response.status
        except BlockedAddress as exc:
            return Answer(None, _ms(started), error=str(exc)[:500])
        except (httpcore.TimeoutException, TimeoutError):
            return Answer(None, _ms(started), error="Timed out.")
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            return Answer(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
        except (httpcore.UnsupportedProtocol, httpcore.LocalProtocolError) as exc:
            return Answer(None, _ms(started), error=f"Bad URL: {exc}"[:500])
        return Answer(status, _ms(started), retry_after=retry_after)

    def close(self) -> None:
        self._pool.close()


def _read_some(response: httpcore.Response) -> None:
    read = 0
    for chunk in response.iter_stream():
        read += len(chunk)
        if read >= REPLY_EXCERPT_BYTES:
            break


def _header(response: httpcore.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
