"""Every SQL statement of the routing domain."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from herald.routing.models import CarrierPrefix


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
