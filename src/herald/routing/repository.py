"""Every SQL statement of the routing domain."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from herald.routing.models import CarrierPrefix, Connection, Route


def carrier_overrides(session: Session) -> dict[str, str]:
    return {row.prefix: row.carrier for row in session.scalars(select(CarrierPrefix))}


def get_prefix(session: Session, prefix: str) -> CarrierPrefix | None:
    return session.get(CarrierPrefix, prefix)


def add_prefix(session: Session, row: CarrierPrefix) -> None:
    session.add(row)
    session.flush()


def remove_prefix(session: Session, prefix: str) -> bool:
    stmt = delete(CarrierPrefix).where(CarrierPrefix.prefix == prefix)
    return session.execute(stmt).rowcount > 0  # type: ignore[attr-defined]


def list_prefixes(session: Session) -> list[CarrierPrefix]:
    return list(session.scalars(select(CarrierPrefix).order_by(CarrierPrefix.prefix)))


# -- connections -----------------------------------------------------------------------------


def add(session: Session, row: Connection | Route) -> None:
    session.add(row)
    session.flush()


def get_connection(session: Session, name: str) -> Connection | None:
    return session.scalars(select(Connection).where(Connection.name == name)).first()


def list_connections(session: Session) -> list[Connection]:
    return list(session.scalars(select(Connection).order_by(Connection.name)))


def remove_connection(session: Session, name: str) -> bool:
    stmt = delete(Connection).where(Connection.name == name)
    return session.execute(stmt).rowcount > 0  # type: ignore[attr-defined]


# -- routes ----------------------------------------------------------------------------------


def list_routes(session: Session) -> list[Route]:
    return list(session.scalars(select(Route).order_by(Route.id)))


def count_routes_to(session: Session, connection_name: str) -> int:
    stmt = select(func.count()).where(Route.connection_name == connection_name)
    return int(session.scalar(stmt) or 0)


def remove_route(session: Session, route_id: uuid.UUID) -> bool:
    stmt = delete(Route).where(Route.id == route_id)
    return session.execute(stmt).rowcount > 0  # type: ignore[attr-defined]
