"""Test support for outreach campaigns: a tenant with an account group its key may use,
calls to the /v1/accounts API, replies injected through the inbound contract, and the
sequencer and dispatch run turn by turn under a hand-moved clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from herald.app import create_app
from herald.bootstrap import build
from herald.inbound import service as inbound
from herald.inbound.keywords import Keywords
from herald.kit.clock import ManualClock
from herald.messaging import dispatch
from herald.outreach import access, tasks
from herald.providers.base import (
    Inbound,
    Provider,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from herald.providers.simulator import SimulatorProvider
from herald.settings import Settings
from support import RunningHerald, Tenant

# A Monday, 08:00 UTC.
MONDAY_8AM = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)

THREE_STEPS: dict[str, Any] = {
    "steps": [
        {"type": "send", "templates": {"en": "Hi {{ lead.firstName }}, step one."}},
        {"type": "wait", "duration": "P1D"},
        {"type": "send", "templates": {"en": "Hi {{ lead.firstName }}, step two."}},
        {"type": "wait", "duration": "P2D"},
        {"type": "send", "templates": {"en": "Hi {{ lead.firstName }}, last step."}},
    ]
}


@dataclass
class Desk:
    """One tenant's outreach desk: an account group and a key granted access to it."""

    herald: RunningHerald
    tenant: Tenant
    group_id: str

    @property
    def headers(self) -> dict[str, str]:
        return self.tenant.headers

    @property
    def client(self) -> TestClient:
        return self.herald.client

    def url(self, path: str = "") -> str:
        return f"/v1/accounts/{self.group_id}{path}"

    def call(self, method: str, path: str, **kwargs: Any) -> Response:
        kwargs.setdefault("headers", self.headers)
        return self.client.request(method, self.url(path), **kwargs)

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code in (200, 201), response.text
        body = response.json()
        assert body["success"] is True
        return body["data"]

    def import_leads(self, *leads: dict[str, Any], country: str | None = "AO") -> list[str]:
        body: dict[str, Any] = {"leads": list(leads)}
        if country:
            body["defaultCountry"] = country
        result = self.data("POST", "/leads", json=body)
        assert not result["rejected"], result["rejected"]
        ids: list[str] = result["leadIds"]
        return ids

    def campaign(self, workflow: dict[str, Any] | None = None, **fields: Any) -> str:
        body = {"name": "Q1 outreach", "senderId": self.tenant.remitter_id, **fields}
        if workflow is not None:
            body["workflow"] = workflow
        created = self.data("POST", "/campaigns", json=body)
        campaign_id: str = created["id"]
        return campaign_id

    def start_with(self, workflow: dict[str, Any], lead_ids: Sequence[str], **fields: Any) -> str:
        campaign_id = self.campaign(workflow, **fields)
        self.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": list(lead_ids)})
        self.data("POST", f"/campaigns/{campaign_id}/start")
        return campaign_id

    def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.data("GET", f"/campaigns/{campaign_id}")
        return found

    def conversation(self, lead_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.data("GET", f"/leads/{lead_id}/conversation")["items"]
        return items

    def progress(self, campaign_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.data("GET", f"/campaigns/{campaign_id}/leads")["items"]
        return items

    def sent(self) -> list[dict[str, Any]]:
        """Every message of the tenant, oldest first, through the messaging API."""
        return list(reversed(self.herald.messages(self.tenant)))

    def reply(self, phone: str, text: str) -> None:
        """A person writes to the tenant's sender ID, through the inbound service's one entry
        point (what an SMPP connection calls with a deliver_sm)."""
        container = self.herald.container
        item = Inbound("SIMULATOR", phone, "Herald", text, container.clock.now())
        keywords = Keywords.from_settings(container.settings)
        with container.db.transaction() as session:
            inbound.record_inbound(session, container.clock, keywords, item)

    def run(self, dispatching: bool = True) -> None:
        """Run the sequencer (and dispatch) until neither has anything due."""
        run_queue(self.herald, dispatching)


def run_queue(herald: RunningHerald, dispatching: bool = True) -> None:
    container = herald.container
    settings = container.settings
    for _ in range(1000):
        advanced = tasks.advance_due(
            container.db,
            container.clock,
            "test-worker",
            LEASE,
            settings.outreach_batch_size,
            settings.outreach_sender_daily_cap,
        )
        handed = 0
        if dispatching:
            handed = dispatch.dispatch_due(
                container.db, container.clock, container.router, "test-worker", LEASE, 500
            )
        if advanced == 0 and handed == 0:
            return
    raise AssertionError("the queue never ran dry")


def open_desk(herald: RunningHerald, balance: str = "100", name: str = "Acme") -> Desk:
    tenant = herald.tenant(balance, name=name)
    group_id = add_group(herald, tenant, "Sales")
    return Desk(herald, tenant, group_id)


def add_group(herald: RunningHerald, tenant: Tenant, name: str, grant: bool = True) -> str:
    container = herald.container
    with container.db.transaction() as session:
        group = access.create_group(
            session, container.clock, uuid.UUID(tenant.organization_id), name
        )
        if grant:
            access.grant(session, container.clock, group.id, uuid.UUID(tenant.key_id))
    return str(group.id)


def grant(herald: RunningHerald, group_id: str, key_id: str) -> None:
    container = herald.container
    with container.db.transaction() as session:
        access.grant(session, container.clock, uuid.UUID(group_id), uuid.UUID(key_id))


class ThrottlingCarrier:
    """A carrier that answers the first `refusals` submissions with "retry after N seconds"
    (as an SMSC does with ESME_RTHROTTLED), then behaves like the simulator."""

    def __init__(self, inner: SimulatorProvider, refusals: int, retry_after: float) -> None:
        self.name = inner.name
        self._inner = inner
        self._refusals = refusals
        self._retry_after = retry_after
        self.refused: list[Submission] = []

    def start(self, receipts: Any) -> None:
        self._inner.start(receipts)

    def stop(self) -> None:
        self._inner.stop()

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        if self._refusals <= 0:
            yield from self._inner.submit(batch)
            return
        self._refusals -= len(batch)
        self.refused.extend(batch)
        yield [
            SubmitResult(
                s.message_id,
                SubmitOutcome.RETRY,
                error_code="THROTTLED",
                retry_after_seconds=self._retry_after,
            )
            for s in batch
        ]


def herald_with_provider(
    db_url: str, data_dir: Path, clock: ManualClock, provider: Provider
) -> RunningHerald:
    """A Herald (no worker threads) whose only carrier is `provider`."""
    settings = Settings(data_dir=data_dir, database_url=db_url, idle_poll_seconds=0.02)
    container = build(
        settings, clock=clock, providers={provider.name: provider}, run_migrations=False
    )
    client = TestClient(create_app(container, start_workers=False))
    client.__enter__()
    return RunningHerald(container, client)
