"""Choosing the carrier connection (provider) that carries a message.

Routes come from the routes table (see routing.models.Route), re-read every few seconds so
that `herald route add` takes effect on a running Herald. Without any route, everything goes
to the default provider (the built-in simulator); once routes exist, a message that matches
none is rejected with NO_ROUTE (and refunded) rather than sent somewhere unintended.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from herald.providers.base import Provider, ReceiptSink, Submission, SubmitOutcome, SubmitResult

NO_ROUTE = "NO_ROUTE"


@dataclass(frozen=True, slots=True)
class RouteRule:
    connection: str
    country_alpha2: str | None = None
    carrier: str | None = None
    prefix: str | None = None
    priority: int = 0
    channel_type: str = "SMS"

    def matches(
        self, e164: str, country_alpha2: str | None, carrier: str, channel_type: str = "SMS"
    ) -> bool:
        return (
            self.channel_type == channel_type
            and (self.prefix is None or e164.startswith(self.prefix))
            and (self.carrier is None or self.carrier == carrier)
            and (self.country_alpha2 is None or self.country_alpha2 == country_alpha2)
        )

    @property
    def rank(self) -> tuple[int, bool, bool, int]:
        """Most specific first (a longer prefix, then a carrier, then a country), then the
        higher priority."""
        return (
            len(self.prefix or ""),
            self.carrier is not None,
            self.country_alpha2 is not None,
            self.priority,
        )


@runtime_checkable
class Availability(Protocol):
    """Providers with a link that can be down say so, and the router fails over."""

    def is_available(self) -> bool: ...


class NoRouteProvider:
    """Refuses every message: nothing matched it in the routes table."""

    name = NO_ROUTE

    def start(self, receipts: ReceiptSink) -> None:
        return None

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        yield [
            SubmitResult(s.message_id, SubmitOutcome.REJECTED, error_code=NO_ROUTE) for s in batch
        ]

    def stop(self) -> None:
        return None


class UnreadyProvider:
    """Stands in for a connection that a route names but this process has not opened yet
    (it was added a moment ago): its messages wait and are tried again shortly."""

    def __init__(self, name: str) -> None:
        self.name = name

    def start(self, receipts: ReceiptSink) -> None:
        return None

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        yield [SubmitResult(s.message_id, SubmitOutcome.RETRY) for s in batch]

    def stop(self) -> None:
        return None


RouteLoader = Callable[[], Sequence[RouteRule]]


class Router:
    def __init__(
        self,
        providers: Mapping[str, Provider],
        default: str,
        routes: RouteLoader | None = None,
        refresh_seconds: float = 5.0,
    ) -> None:
        if default not in providers:
            raise ValueError(f"default provider {default!r} is not configured")
        self.providers: dict[str, Provider] = {**providers, NO_ROUTE: NoRouteProvider()}
        self.default = default
        self._load = routes
        self._refresh_seconds = refresh_seconds
        self._rules: list[RouteRule] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def reload(self) -> None:
        """Read the routes table now (the router also does so every few seconds)."""
        rules = list(self._load()) if self._load else []
        with self._lock:
            self._rules = sorted(rules, key=lambda r: r.rank, reverse=True)
            self._loaded_at = time.monotonic()

    def attach(self, provider: Provider) -> None:
        """Route to a connection opened while running (replacing one of the same name)."""
        with self._lock:
            self.providers = {**self.providers, provider.name: provider}

    def detach(self, name: str) -> Provider | None:
        """Stop routing to a connection; the caller closes it."""
        with self._lock:
            providers = dict(self.providers)
            found = providers.pop(name, None)
            self.providers = providers
        return found

    def provider_for(
        self, e164: str, country_alpha2: str | None, carrier: str, channel_type: str = "SMS"
    ) -> Provider:
        if self._load and time.monotonic() - self._loaded_at > self._refresh_seconds:
            self.reload()
        with self._lock:
            rules = self._rules
            providers = self.providers
        if channel_type == "EMAIL":
            # An email is bound to the mailbox it is written from (its From, its thread):
            # `carrier` names that mailbox; until it is open here, the email waits.
            return providers.get(carrier) or UnreadyProvider(carrier)
        if not rules and channel_type == "SMS":
            return providers[self.default]
        fallback: Provider | None = None
        for rule in rules:
            if not rule.matches(e164, country_alpha2, carrier, channel_type):
                continue
            provider = providers.get(rule.connection)
            if provider is None:
                fallback = fallback or UnreadyProvider(rule.connection)
                continue
            if not isinstance(provider, Availability) or provider.is_available():
                return provider
            fallback = fallback or provider
        # Every matching link is down: queue on the best one, which asks to retry later.
        return fallback or providers[NO_ROUTE]
