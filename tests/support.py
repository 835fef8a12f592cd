"""Test support: a running Herald on a real database, tenants built through the same
services the CLI uses, and polling helpers. No mocks of our own code."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from fastapi.testclient import TestClient

from herald.app import create_app
from herald.billing import service as billing
from herald.bootstrap import Container, build
from herald.kit.clock import Clock
from herald.kit.money import to_micros
from herald.messaging import dispatch, expand
from herald.providers.simulator import SimulatorProvider
from herald.settings import Settings
from herald.tenancy import service as tenancy

T = TypeVar("T")

__all__ = ["Clock", "HeraldFactory", "RunningHerald", "Tenant", "start_herald"]


@dataclass
class Tenant:
    organization_id: str
    billing_account_id: str
    api_key: str
    key_id: str
    remitter_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.api_key}


@dataclass
class RunningHerald:
    container: Container
    client: TestClient

    @property
    def simulator(self) -> SimulatorProvider:
        provider = self.container.router.providers["SIMULATOR"]
        assert isinstance(provider, SimulatorProvider)
        return provider

    def tenant(self, balance: str = "100", name: str = "Acme", **kwargs: Any) -> Tenant:
        with self.container.db.transaction() as session:
            new = tenancy.create_tenant(
                session,
                self.container.clock,
                name=name,
                balance_micros=to_micros(balance),
                **kwargs,
            )
        return Tenant(
            str(new.organization.id),
            str(new.billing_account_id),
            new.api_key,
            str(new.key_id),
            str(new.remitter.id),
        )

    def key(self, tenant: Tenant, scopes: tuple[str, ...]) -> str:
        import uuid

        with self.container.db.transaction() as session:
            new = tenancy.create_key(
                session,
                self.container.clock,
                uuid.UUID(tenant.organization_id),
                name="limited",
                scopes=scopes,
            )
        return new.secret

    def set_price(self, price: str, country: str = "*", carrier: str = "*") -> None:
        with self.container.db.transaction() as session:
            billing.set_price(
                session,
                self.container.clock,
                channel_type="SMS",
                country_alpha2=country,
                carrier=carrier,
                price_micros=to_micros(price),
            )

    def balance(self, tenant: Tenant) -> int:
        import uuid

        with self.container.db.reading() as session:
            return billing.get_account(session, uuid.UUID(tenant.billing_account_id)).balance_micros

    def ledger_balances(self, tenant: Tenant) -> bool:
        import uuid

        with self.container.db.reading() as session:
            return billing.ledger_balances(session, uuid.UUID(tenant.billing_account_id))

    def batch(self, tenant: Tenant, recipients: list[str], **fields: Any) -> Any:
        body = {
            "name": "Black Friday Promo - Luanda",
            "remitter_id": tenant.remitter_id,
            "channel_type": "SMS",
            "country_alpha2": "AO",
            "content": "Flash Sale! Enjoy 50% off on all items this weekend only.",
            "recipients": recipients,
            **fields,
        }
        return self.client.post("/c/v1/campaigns/batch", json=body, headers=tenant.headers)

    def campaign(self, tenant: Tenant, campaign_id: str) -> dict[str, Any]:
        response = self.client.get(f"/c/v1/campaigns/{campaign_id}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def messages(self, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("limit", 200)
        response = self.client.get("/c/v1/messages", params=params, headers=tenant.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["data"]
        return items

    def expand(self) -> int:
        """Run one expansion step, as the worker loop would."""
        lease = timedelta(seconds=self.container.settings.lease_seconds)
        return expand.expand_due(self.container.db, self.container.clock, "test-worker", lease)

    def dispatch(self, limit: int = 1000, owner: str = "test-worker") -> int:
        """Run one dispatch step, as the worker loop would."""
        c = self.container
        lease = timedelta(seconds=c.settings.lease_seconds)
        return dispatch.dispatch_due(c.db, c.clock, c.router, owner, lease, limit)

    def campaign_count(self, tenant: Tenant) -> int:
        found = self.client.get("/c/v1/campaigns", headers=tenant.headers).json()
        return len(found["data"])

    def dashboard_post(self, path: str, **data: str) -> Any:
        """A dashboard form POST, carrying the session's CSRF token as a browser would."""
        if "herald_csrf" not in self.client.cookies:
            self.client.get("/dashboard")
        token = self.client.cookies.get("herald_csrf", path="/dashboard")
        return self.client.post(path, data={**data, "csrf_token": token or ""})

    def sign_in(self, api_key: str) -> Any:
        """Sign in to the dashboard with a key, through its form."""
        return self.dashboard_post("/dashboard/login", api_key=api_key)

    def close(self) -> None:
        """Stop it (a test may do so before the fixture does: the second call does nothing)."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self.client.__exit__(None, None, None)
        self.container.stop()


class HeraldFactory(Protocol):
    def __call__(
        self, workers: bool = True, clock: Clock | None = None, **overrides: object
    ) -> RunningHerald: ...


def start_herald(
    db_url: str, data_dir: Path, workers: bool, clock: Clock | None, overrides: dict[str, Any]
) -> RunningHerald:
    settings = Settings(
        data_dir=data_dir,
        database_url=db_url,
        simulator_submit_latency_ms=1,
        simulator_receipt_delay_ms=30,
        idle_poll_seconds=0.02,
        **overrides,
    )
    container = build(settings, clock=clock, run_migrations=False)
    client = TestClient(create_app(container, start_workers=workers))
    client.__enter__()
    if not workers:
        container.start_providers()  # receipts still flow; the tests step the queue by hand
    return RunningHerald(container, client)


def wait_until(predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.02) -> T:
    """Poll until `predicate()` is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)
        value = predicate()
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def herald_cli(*args: str, env: dict[str, str]) -> str:
    """Run the `herald` command line in a subprocess; its standard output."""
    command = [sys.executable, "-m", "herald.cli.main", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


class ServerProcess:
    """`herald serve` in a subprocess on a free port, ready when constructed."""

    def __init__(self, env: dict[str, str], log: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "herald.cli.main", "serve", "--port", str(self.port)]
        command += extra
        self._log = log.open("ab")
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=self._log)
        try:
            wait_until(self._ready, timeout=60)
        except BaseException:
            self.kill(signal.SIGKILL)  # a server that never got ready must not outlive the test
            raise

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"herald serve exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self._log.close()
