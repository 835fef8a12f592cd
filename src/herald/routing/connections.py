"""Building the carrier connections (providers) from the connections table, and the route
loader the Router reads. Connections are built when Herald starts: restart `herald serve`
after `herald connection add|remove` (routes, by contrast, are re-read while running)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.messaging import settle
from herald.providers.base import InboundSink, Provider, Receipt
from herald.providers.smpp import SmppConfig, SmppProvider
from herald.routing import repository
from herald.routing.models import Connection
from herald.routing.router import RouteLoader, RouteRule
from herald.settings import Settings


def smpp_config(row: Connection, settings: Settings) -> SmppConfig:
    return SmppConfig(
        name=row.name,
        host=row.host,
        port=row.port,
        system_id=row.system_id,
        password=row.password,
        system_type=row.system_type,
        tps=row.tps,
        window=row.window,
        bind_mode=row.bind_mode,
        response_timeout=settings.smpp_response_timeout_seconds,
        enquire_link=settings.smpp_enquire_link_seconds,
        reconnect_max=settings.smpp_reconnect_max_seconds,
        # Well inside a dispatch lease, so that no other worker takes the batch over.
        submit_budget=max(1.0, min(20.0, settings.lease_seconds / 3)),
        redis_url=settings.redis_url,
    )


def connection_providers(
    settings: Settings, db: Database, clock: Clock, inbound: InboundSink | None
) -> dict[str, Provider]:
    with db.reading() as session:
        rows = repository.list_connections(session)

    def settlement(session: Session, receipts: Sequence[Receipt]) -> None:
        settle.apply_receipts(session, clock, receipts)

    return {
        row.name: SmppProvider(smpp_config(row, settings), db, clock, settlement, inbound)
        for row in rows
        if row.type == "smpp"
    }


def route_loader(db: Database) -> RouteLoader:
    def load() -> list[RouteRule]:
        with db.reading() as session:
            return [
                RouteRule(r.connection_name, r.country_alpha2, r.carrier, r.prefix, r.priority)
                for r in repository.list_routes(session)
            ]

    return load
