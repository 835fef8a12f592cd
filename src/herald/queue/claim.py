"""Claiming work rows with a lease.

Every unit of work is a row with a due time and a lease (`lease_owner`, `lease_until`).
A worker claims a batch of due rows by writing its lease on them in one statement; the
row stays claimed until the worker records the outcome or the lease runs out, after which
another worker may take it (the holder is presumed dead). PostgreSQL skips rows that other
workers are claiming at the same moment (FOR UPDATE SKIP LOCKED); SQLite has one writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, or_, select, update
from sqlalchemy.orm import Session


def lease_is_free(table: Table, now: datetime) -> ColumnElement[bool]:
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def any_claimable(
    session: Session, table: Table, where: Sequence[ColumnElement[bool]], now: datetime
) -> bool:
    """Whether `claim` would find a row. Asked in a read-only transaction first, so that an
    idle worker never takes SQLite's single write lock just to find nothing to do."""
    probe = select(table.c.id).where(*where, lease_is_free(table, now)).limit(1)
    return session.execute(probe).first() is not None


def claim(
    session: Session,
    table: Table,
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int,
    owner: str,
    now: datetime,
    lease: timedelta,
    values: dict[str, Any] | None = None,
) -> list[Row[Any]]:
    """Lease up to `limit` rows matching `where` that nobody holds; return them whole.
    `values` are written in the same statement (e.g. an attempt counter)."""
    due = (
        select(table.c.id)
        .where(*where, lease_is_free(table, now))
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + lease, **(values or {}))
        .returning(*table.c)
    )
    return list(session.execute(stmt).all())
