"""`Herald` (sync) and `AsyncHerald`: the same namespaces over two thin transports."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, TypeVar

import httpx

from .core import Operation, RetryPolicy
from .resources import Messaging, Outreach, Voice
from .transport import AsyncTransport, SyncTransport

T = TypeVar("T")
DEFAULT_URL = "http://127.0.0.1:8080"


def _settings(url: str | None, api_key: str | None) -> tuple[str, str]:
    url = url or os.environ.get("HERALD_URL") or DEFAULT_URL
    api_key = api_key or os.environ.get("HERALD_API_KEY")
    if not api_key:
        raise ValueError("an API key is needed: pass api_key= or set HERALD_API_KEY")
    return url.rstrip("/"), api_key


class Herald:
    """A Herald server: `messaging` (/c/v1), `outreach` (/v1/accounts) and `voice` (/v1).

    `url` and `api_key` default to `HERALD_URL` and `HERALD_API_KEY`. Calls retry 429, 5xx
    and lost connections as `retry` says; `http=` brings your own `httpx.Client`
    (proxies, certificates, event hooks)."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.url, api_key = _settings(url, api_key)
        self._http = http or httpx.Client(base_url=self.url, timeout=timeout)
        self._transport = SyncTransport(self._http, self.url, api_key, retry or RetryPolicy())
        self.messaging = Messaging(self._transport)
        self.outreach = Outreach(self._transport)
        self.voice = Voice(self._transport)

    def send(self, operation: Operation[T]) -> T:
        """Run an operation built by hand (or taken from a namespace)."""
        return self._transport.run(operation)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Herald:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncHerald:
    """`Herald` for asyncio: every namespace method returns an awaitable, and `iter_*` an
    async iterator."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.url, api_key = _settings(url, api_key)
        self._http = http or httpx.AsyncClient(base_url=self.url, timeout=timeout)
        self._transport = AsyncTransport(self._http, self.url, api_key, retry or RetryPolicy())
        # The namespaces are `Herald`'s, whose annotations name the sync results; here each
        # result is an awaitable of it (and iter_* an async iterator), which Python's types
        # cannot say of one shared class: typed as Any rather than wrongly.
        self.messaging: Any = Messaging(self._transport)
        self.outreach: Any = Outreach(self._transport)
        self.voice: Any = Voice(self._transport)

    async def send(self, operation: Operation[T]) -> T:
        return await self._transport.run(operation)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncHerald:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
