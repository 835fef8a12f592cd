"""Every SQL statement of the SMPP connections: the parts of long replies."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from herald.kit.db import is_postgres, lock_until_commit
from herald.providers.smpp.models import MoPart

mo_parts: Table = MoPart.__table__  # type: ignore[assignment]


def serialize_replies(session: Session, provider_name: str) -> None:
    """Take, until the transaction ends, the lock that orders storing the parts of replies
    of one connection across processes (PostgreSQL; SQLite has one writer anyway): parts of
    one reply may reach binds in two processes, and each must see the other's part."""
    lock_until_commit(session, "replies:" + provider_name)


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
    stmt = delete(mo_parts).where(
        mo_parts.c.provider_name == provider_name, mo_parts.c.received_at < before
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
