"""How much work is waiting in a work table, and for how long (for /metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, func, select, type_coerce
from sqlalchemy.orm import Session

from herald.kit.db import UTCDateTime


@dataclass(frozen=True, slots=True)
class Backlog:
    depth: int  # rows due now
    oldest_due_at: datetime | None  # the due time of the row waiting longest

    def age_seconds(self, now: datetime) -> float:
        if self.oldest_due_at is None:
            return 0.0
        return max((now - self.oldest_due_at).total_seconds(), 0.0)


def backlog(
    session: Session, table: Table, where: Sequence[ColumnElement[bool]], now: datetime
) -> Backlog:
    """Rows matching `where` that are due (`due_at <= now`)."""
    # type_coerce, not CAST: the column's own type reads the value back on every backend.
    earliest = type_coerce(func.min(table.c.due_at), UTCDateTime())
    stmt = select(func.count(), earliest).where(*where, table.c.due_at <= now)
    depth, oldest = session.execute(stmt).one()
    return Backlog(int(depth), oldest)
