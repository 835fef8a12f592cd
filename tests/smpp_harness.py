"""Herald wired to a real SMPP peer over TCP on 127.0.0.1: the test SMSC (smpp.pdu3 codec,
not Herald's), a connection and a route in the database, then Herald started on top."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from herald.kit.clock import SystemClock
from herald.kit.db import Database, create_engine_for
from herald.messaging import queries
from herald.messaging.models import MessagePart
from herald.providers.smpp.smsc import Smsc, SmscBehaviour, SmscThread
from herald.routing import service as routing
from support import HeraldFactory, RunningHerald, Tenant, wait_until

# Fast timers: an unanswered submit_sm is in doubt after a second, not ten.
FAST = {"smpp_response_timeout_seconds": 1.0, "smpp_enquire_link_seconds": 5.0}


@dataclass
class SmppRig:
    herald: RunningHerald
    peer: SmscThread
    tenant: Tenant

    @property
    def smsc(self) -> Smsc:
        assert self.peer.smsc is not None
        return self.peer.smsc

    def tally(self, campaign_id: str) -> dict[str, int]:
        with self.herald.container.db.reading() as session:
            return queries.tally(session, uuid.UUID(campaign_id)).by_status

    def wait_settled(self, campaign_id: str, total: int, timeout: float = 60.0) -> dict[str, int]:
        """Wait until every message of the campaign is past SENT; return the tallies."""

        def settled() -> dict[str, int] | None:
            counts = self.tally(campaign_id)
            done = sum(n for s, n in counts.items() if s not in ("PENDING", "SENT"))
            return counts if done == total else None

        try:
            found: dict[str, int] = wait_until(settled, timeout=timeout, interval=0.05)
        except AssertionError as exc:
            raise AssertionError(f"not settled: {self.tally(campaign_id)}") from exc
        return found

    def parts(self, message_id: str) -> list[Any]:
        with self.herald.container.db.reading() as session:
            stmt = (
                select(MessagePart)
                .where(MessagePart.message_id == uuid.UUID(message_id))
                .order_by(MessagePart.part_number)
            )
            return list(session.scalars(stmt))

    def resent_parts(self) -> int:
        with self.herald.container.db.reading() as session:
            return int(session.scalar(select(func.coalesce(func.sum(MessagePart.resends), 0))))


def add_connection(db_url: str, name: str, port: int, **fields: Any) -> None:
    engine = create_engine_for(db_url)
    try:
        with Database(engine).transaction() as session:
            spec = routing.ConnectionSpec(
                name=name,
                host="127.0.0.1",
                port=port,
                system_id=fields.pop("system_id", "herald"),
                password=fields.pop("password", "secret"),
                tps=fields.pop("tps", 5000),
                window=fields.pop("window", 50),
                **fields,
            )
            routing.add_connection(session, SystemClock(), spec)
    finally:
        engine.dispose()


def add_route(db_url: str, connection: str, **criteria: Any) -> None:
    engine = create_engine_for(db_url)
    try:
        with Database(engine).transaction() as session:
            routing.add_route(session, SystemClock(), connection, **criteria)
    finally:
        engine.dispose()


@pytest.fixture
def smsc_peer() -> Iterator[SmscThread]:
    peer = SmscThread(SmscBehaviour(receipt_delay=0.02))
    peer.start()
    yield peer
    peer.stop()


def rig(
    make_herald: HeraldFactory,
    db_url: str,
    peer: SmscThread,
    *,
    connection: dict[str, Any] | None = None,
    **overrides: Any,
) -> SmppRig:
    add_connection(db_url, "carrier-a", peer.port, **(connection or {}))
    add_route(db_url, "carrier-a")
    herald = make_herald(**{**FAST, **overrides})
    wait_until(lambda: herald.container.router.providers["carrier-a"].is_available())  # type: ignore[attr-defined]
    return SmppRig(herald, peer, herald.tenant(balance="1000"))


def numbers(count: int, start: int = 0) -> list[str]:
    """Angolan numbers none of which end in a simulator failure suffix (0666, 0997-0999)."""
    found: list[str] = []
    n = start
    while len(found) < count:
        if f"{n:04d}"[-4:] not in ("0666", "0997", "0998", "0999"):
            found.append(f"+24499{n:07d}")
        n += 1
    return found
