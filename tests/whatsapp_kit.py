"""Test support for WhatsApp: a Herald (no worker threads, a hand-moved clock starting now)
with a WhatsApp connection to the test Cloud API on 127.0.0.1, whose webhooks reach
Herald's webhook service (the same function the /webhooks/whatsapp route calls)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from herald.app import create_app
from herald.billing import service as billing
from herald.bootstrap import build
from herald.errors import HeraldError
from herald.inbound.keywords import Keywords
from herald.inbound.service import inbound_sink
from herald.kit.clock import ManualClock
from herald.kit.money import to_micros
from herald.messaging import dispatch, expand
from herald.providers.whatsapp.config import WhatsAppConfig
from herald.routing import service as routing
from herald.settings import Settings
from herald.whatsapp import templates, webhooks
from support import RunningHerald, Tenant, wait_until
from whatsapp_cloud import CloudApi, CloudConfig, Template

CONNECTION = "wa-main"
BUSINESS_NUMBER = "15550001111"  # the tenant's remitter: the business number people write to
LEASE = timedelta(seconds=60)
PRICES = {"MARKETING": "0.080000", "UTILITY": "0.030000", "SERVICE": "0.010000"}
TEMPLATES = [
    Template("black_friday", "en_US", "MARKETING", body="Hi {{1}}, {{2}} off today only."),
    Template("order_shipped", "en_US", "UTILITY", body="Order {{1}} shipped.", header="{{1}}"),
    Template("draft_offer", "en_US", "MARKETING", status="PENDING", body="Soon."),
]


def number(n: int) -> str:
    """The n-th of many distinct Angolan mobile numbers, E.164."""
    return f"+24492{n:07d}"


@dataclass
class WhatsAppDesk:
    herald: RunningHerald
    cloud: CloudApi
    tenant: Tenant
    clock: ManualClock

    @property
    def container(self) -> Any:
        return self.herald.container

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        """Herald's webhook service, as the route calls it: the HTTP status it answers."""
        c = self.container
        sink = inbound_sink(c.clock, Keywords.from_settings(c.settings))
        try:
            webhooks.receive(
                c.db,
                c.clock,
                CONNECTION,
                body,
                headers.get("x-hub-signature-256"),
                c.receipts_sink,
                sink,
            )
        except HeraldError as error:
            return error.status
        return 200

    def send(self, recipient: str, content: str = "Hello!", **fields: Any) -> Any:
        body = {
            "remitter_id": self.tenant.remitter_id,
            "channel_type": "WHATSAPP",
            "recipient": recipient,
            "content": content,
            **fields,
        }
        return self.herald.client.post("/c/v1/messages", json=body, headers=self.tenant.headers)

    def batch(self, recipients: list[str], content: str = "Hello!", **fields: Any) -> Any:
        return self.herald.batch(
            self.tenant, recipients, channel_type="WHATSAPP", content=content, **fields
        )

    def message(self, message_id: str) -> dict[str, Any]:
        found = self.herald.client.get(f"/c/v1/messages/{message_id}", headers=self.tenant.headers)
        assert found.status_code == 200, found.text
        data: dict[str, Any] = found.json()
        return data

    def run(self, timeout: float = 60.0) -> None:
        """Expand and dispatch until nothing is due; a retry's due time comes by moving the
        clock, a second at a time, once nothing else is due."""

        def drained() -> bool:
            expand.expand_due(self.container.db, self.clock, "test-worker", LEASE, 10)
            handed = dispatch.dispatch_due(
                self.container.db, self.clock, self.container.router, "test-worker", LEASE, 500
            )
            if handed:
                return False
            if self.open_messages() == 0:
                return True
            self.clock.advance(seconds=1)
            return False

        wait_until(drained, timeout=timeout, interval=0.001)

    def open_messages(self) -> int:
        from sqlalchemy import func, select

        from herald.messaging.models import Message

        with self.container.db.reading() as session:
            stmt = select(func.count()).where(Message.status == "PENDING")
            return int(session.scalar(stmt) or 0)

    def settled(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until `count` messages of the tenant are past SENT (statuses arrive by
        webhook, a moment after the sends); returns every message."""

        def done() -> list[dict[str, Any]] | None:
            found = all_messages(self.herald, self.tenant)
            final = [m for m in found if m["status"] not in ("PENDING", "SENT")]
            return found if len(final) >= count else None

        return wait_until(done, timeout=timeout, interval=0.1)


def all_messages(herald: RunningHerald, tenant: Tenant) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = herald.client.get("/c/v1/messages", params=params, headers=tenant.headers).json()
        found += page["data"]
        cursor = page["pagination"]["next_cursor"]
        if not page["pagination"]["has_more"]:
            return found


def open_desk(
    db_url: str, data_dir: Path, cloud_config: CloudConfig | None = None, rate: float = 1000.0
) -> WhatsAppDesk:
    cloud = CloudApi(cloud_config).start()
    cloud.templates = list(TEMPLATES)
    clock = ManualClock(datetime.now(UTC))
    settings = Settings(data_dir=data_dir, database_url=db_url, idle_poll_seconds=0.02)
    container = build(settings, clock=clock, run_migrations=False)
    client = TestClient(create_app(container, start_workers=False))
    client.__enter__()
    herald = RunningHerald(container, client)
    config = WhatsAppConfig(
        name=CONNECTION,
        phone_number_id=cloud.config.phone_number_id,
        waba_id=cloud.config.waba_id,
        access_token=cloud.config.access_token,
        app_secret=cloud.config.app_secret,
        verify_token="herald-verify",
        api_base_url=f"{cloud.base_url}/{cloud.config.version}",
        rate=rate,
    )
    with container.db.transaction() as session:
        routing.add_whatsapp_connection(session, clock, config)
        routing.add_route(session, clock, CONNECTION, channel_type="WHATSAPP")
        for category, price in PRICES.items():
            billing.set_price(
                session,
                clock,
                channel_type=f"WHATSAPP_{category}",
                country_alpha2="*",
                carrier="*",
                price_micros=to_micros(price),
            )
    container.connections.sync(container.router, container.receipts_sink)
    container.router.reload()
    import httpx

    with container.db.transaction() as session, httpx.Client() as http:
        templates.sync(session, clock, config, http)
    tenant = herald.tenant("1000", remitter_name=BUSINESS_NUMBER)
    desk = WhatsAppDesk(herald, cloud, tenant, clock)
    cloud.deliver_to(desk.receive)
    return desk


def close_desk(desk: WhatsAppDesk) -> None:
    desk.cloud.stop()
    desk.herald.close()


def tenant_uuid(tenant: Tenant) -> uuid.UUID:
    return uuid.UUID(tenant.organization_id)
