"""Every SQL statement of the WhatsApp channel's own tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from herald.kit.db import is_postgres
from herald.whatsapp.models import WebhookItem, WhatsAppTemplate


def templates_of(session: Session, connection_name: str) -> list[WhatsAppTemplate]:
    stmt = select(WhatsAppTemplate).where(WhatsAppTemplate.connection_name == connection_name)
    return list(session.scalars(stmt))


def replace_templates(
    session: Session, connection_name: str, rows: Sequence[dict[str, Any]]
) -> None:
    """The connection's templates become `rows` (a sync sees the whole account)."""
    session.execute(
        delete(WhatsAppTemplate).where(WhatsAppTemplate.connection_name == connection_name)
    )
    if rows:
        session.execute(insert(WhatsAppTemplate), list(rows))


def list_templates(session: Session) -> list[WhatsAppTemplate]:
    stmt = select(WhatsAppTemplate).order_by(
        WhatsAppTemplate.name, WhatsAppTemplate.language, WhatsAppTemplate.connection_name
    )
    return list(session.scalars(stmt))


def find_templates(session: Session, name: str, language: str) -> list[WhatsAppTemplate]:
    """Every connection's template of that name and language, approved ones first."""
    stmt = select(WhatsAppTemplate).where(
        WhatsAppTemplate.name == name, WhatsAppTemplate.language == language
    )
    found = list(session.scalars(stmt))
    return sorted(found, key=lambda t: (t.status != "APPROVED", t.connection_name))


def first_time(session: Session, connection_name: str, key: str, now: datetime) -> bool:
    """Record a webhook item as handled; False if it was already (a webhook posted twice).
    Concurrent deliveries of one item: the second waits on the first's row, then sees it."""
    values = {"key": key, "connection_name": connection_name, "received_at": now}
    dialect_insert = pg_insert if is_postgres(session) else sqlite_insert
    stmt = dialect_insert(WebhookItem).values(values).on_conflict_do_nothing()
    return session.execute(stmt.returning(WebhookItem.key)).first() is not None
