"""Every SQL statement of the tenancy domain."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from herald.tenancy.models import ApiKey, Organization, Remitter


def add(session: Session, *rows: Organization | ApiKey | Remitter) -> None:
    session.add_all(rows)
    session.flush()


def get_organization(session: Session, organization_id: uuid.UUID) -> Organization | None:
    return session.get(Organization, organization_id)


def find_key_by_hash(session: Session, secret_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.secret_hash == secret_hash)).first()


def get_key(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def list_keys(session: Session, organization_id: uuid.UUID) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.organization_id == organization_id).order_by(ApiKey.id)
    return list(session.scalars(stmt))


def get_remitter(session: Session, remitter_id: uuid.UUID) -> Remitter | None:
    return session.get(Remitter, remitter_id)


def get_remitters(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Remitter]:
    if not ids:
        return {}
    rows = session.scalars(select(Remitter).where(Remitter.id.in_(ids)))
    return {row.id: row for row in rows}


def list_remitters(session: Session, organization_id: uuid.UUID) -> list[Remitter]:
    stmt = select(Remitter).where(Remitter.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(Remitter.id)))
