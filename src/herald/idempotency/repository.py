"""Every SQL statement of idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from herald.idempotency.models import IdempotencyKey
from herald.kit.db import is_postgres

keys: Table = IdempotencyKey.__table__  # type: ignore[assignment]


def insert_if_absent(session: Session, row: dict[str, Any]) -> bool:
    """Insert the key unless (caller, key) exists; True when this call inserted it. Two
    requests racing with the same key: the database's unique index lets one win."""
    dialect_insert = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = (
        dialect_insert(keys)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["caller", "key"])
        .returning(keys.c.id)
    )
    return session.execute(stmt).first() is not None


def lock(session: Session, caller: str, key: str) -> IdempotencyKey | None:
    stmt = (
        select(IdempotencyKey)
        .where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def update_key(session: Session, id: uuid.UUID, values: dict[str, Any]) -> None:
    session.execute(update(keys).where(keys.c.id == id).values(**values))


def delete_key(session: Session, id: uuid.UUID) -> None:
    session.execute(delete(keys).where(keys.c.id == id))


def delete_expired(session: Session, now: datetime, limit: int) -> int:
    expired = select(keys.c.id).where(keys.c.expires_at <= now).limit(limit)
    result = session.execute(delete(keys).where(keys.c.id.in_(expired.scalar_subquery())))
    return int(result.rowcount)  # type: ignore[attr-defined]
