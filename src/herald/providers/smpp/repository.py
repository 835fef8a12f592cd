"""Every SQL statement about message parts and early receipts. Bulk paths use Core."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from herald.kit.db import is_postgres, lock_until_commit
from herald.providers.smpp.models import MessagePart, MoPart, PartReceipt

parts: Table = MessagePart.__table__  # type: ignore[assignment]
receipts: Table = PartReceipt.__table__  # type: ignore[assignment]
mo_parts: Table = MoPart.__table__  # type: ignore[assignment]

_UPSERT_COLUMNS = ("parts_total", "provider_name", "carrier_message_id", "in_doubt", "resends")


def serialize_parts(session: Session, provider_name: str) -> None:
    """Take, until the transaction ends, the lock that orders recording answers with recording
    receipts of one connection across processes (PostgreSQL; SQLite has one writer anyway).
    An SMSC delivers a receipt to any bound receiver, so the receipt for a part submitted by
    one worker process may reach another: without this lock the two could commit side by
    side, each unseen by the other, and the receipt would wait for the next reconcile.
    Taken first in the transaction, before the receipts lock of messaging, never after."""
    lock_until_commit(session, "parts:" + provider_name)


def parts_of(session: Session, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The recorded parts of each message, in part order."""
    ids = list(message_ids)
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    if not ids:
        return found
    stmt = select(parts).where(parts.c.message_id.in_(ids)).order_by(parts.c.part_number)
    for row in session.execute(stmt):
        found[row.message_id].append(row)
    return found


def upsert_parts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update parts by (message_id, part_number)."""
    if not rows:
        return
    dialect = postgresql if is_postgres(session) else sqlite
    stmt = dialect.insert(parts)
    stmt = stmt.on_conflict_do_update(
        index_elements=[parts.c.message_id, parts.c.part_number],
        set_={name: stmt.excluded[name] for name in (*_UPSERT_COLUMNS, "updated_at")},
    )
    session.execute(stmt, list(rows))


def parts_by_carrier_ids(session: Session, provider_name: str, ids: Iterable[str]) -> list[Any]:
    wanted = list(set(ids))
    if not wanted:
        return []
    stmt = select(
        parts.c.message_id,
        parts.c.part_number,
        parts.c.parts_total,
        parts.c.carrier_message_id,
        parts.c.status,
        parts.c.reported_at,
    ).where(parts.c.provider_name == provider_name, parts.c.carrier_message_id.in_(wanted))
    return list(session.execute(stmt).all())


def set_statuses(
    session: Session, updates: Sequence[tuple[uuid.UUID, int, str, str | None]], now: datetime
) -> None:
    if not updates:
        return
    stmt = (
        update(parts)
        .where(
            parts.c.message_id == bindparam("b_message"),
            parts.c.part_number == bindparam("b_part"),
        )
        .values(status=bindparam("b_status"), error_code=bindparam("b_error"), updated_at=now)
    )
    params = [{"b_message": m, "b_part": p, "b_status": s, "b_error": e} for m, p, s, e in updates]
    session.connection().execute(stmt, params)


def unreported_with_receipts(session: Session, provider_name: str, limit: int) -> list[uuid.UUID]:
    """Messages with receipts on some part whose outcome was not handed over yet."""
    stmt = (
        select(parts.c.message_id)
        .where(
            parts.c.provider_name == provider_name,
            parts.c.reported_at.is_(None),
            parts.c.status.is_not(None),
        )
        .distinct()
        .limit(limit)
    )
    return list(session.scalars(stmt))


def mark_reported(session: Session, message_ids: Iterable[uuid.UUID], now: datetime) -> None:
    ids = list(message_ids)
    if ids:
        stmt = update(parts).where(parts.c.message_id.in_(ids)).values(reported_at=now)
        session.execute(stmt)


# -- receipts that came before the submit_sm_resp naming their id ----------------------------


def add_early_receipts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(receipts), list(rows))


def has_early_receipts(session: Session, provider_name: str) -> bool:
    stmt = select(receipts.c.id).where(receipts.c.provider_name == provider_name).limit(1)
    return session.execute(stmt).first() is not None


def early_receipts(
    session: Session, provider_name: str, ids: Iterable[str] | None, limit: int = 1000
) -> list[Any]:
    """Early receipts for `ids` (any of the provider's when None), newest first: a receipt
    that overtook its answer is recent, while ones that never find their part grow old (and
    must not hide the recent ones behind the limit)."""
    condition = [receipts.c.provider_name == provider_name]
    if ids is not None:
        wanted = list(set(ids))
        if not wanted:
            return []
        condition.append(receipts.c.carrier_message_id.in_(wanted))
    stmt = select(receipts).where(*condition).order_by(receipts.c.received_at.desc()).limit(limit)
    return list(session.execute(stmt).all())


def purge_early_receipts(session: Session, provider_name: str, before: datetime) -> int:
    """Drop early receipts received before `before`; how many were dropped."""
    return _purge(session, receipts, provider_name, before)


def _purge(session: Session, table: Table, provider_name: str, before: datetime) -> int:
    stmt = delete(table).where(table.c.provider_name == provider_name, table.c.received_at < before)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def drop_early_receipts(session: Session, ids: Iterable[uuid.UUID]) -> None:
    wanted = list(ids)
    if wanted:
        session.execute(delete(receipts).where(receipts.c.id.in_(wanted)))


# -- parts of long mobile-originated messages ---------------------------------------------------

_MO_KEY = ("provider_name", "source", "destination", "reference", "parts_total")


def add_mo_part(session: Session, row: dict[str, Any]) -> None:
    """Store a part; one already stored (the SMSC sent it again) is left as it is."""
    dialect = postgresql if is_postgres(session) else sqlite
    stmt = dialect.insert(mo_parts).on_conflict_do_nothing(
        index_elements=[mo_parts.c[name] for name in (*_MO_KEY, "part_number")]
    )
    session.execute(stmt, row)


def mo_parts_like(session: Session, row: dict[str, Any]) -> list[Any]:
    """The stored parts of the message `row` is a part of, in part order."""
    stmt = (
        select(mo_parts)
        .where(*(mo_parts.c[name] == row[name] for name in _MO_KEY))
        .order_by(mo_parts.c.part_number)
    )
    return list(session.execute(stmt).all())


def drop_mo_parts(session: Session, ids: Iterable[uuid.UUID]) -> None:
    wanted = list(ids)
    if wanted:
        session.execute(delete(mo_parts).where(mo_parts.c.id.in_(wanted)))


def purge_mo_parts(session: Session, provider_name: str, before: datetime) -> int:
    """Drop parts received before `before` (their message never completed); how many."""
    return _purge(session, mo_parts, provider_name, before)
