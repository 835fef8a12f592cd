"""The email provider's own tables: each mailbox's IMAP read position, the emails
handed to SMTP."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from herald.providers.email.models import EmailHandover, MailboxCursor


def cursor(session: Session, connection_name: str) -> MailboxCursor | None:
    return session.get(MailboxCursor, connection_name)


def advance(
    session: Session, connection_name: str, uid_validity: int, last_uid: int, now: datetime
) -> None:
    row = session.get(MailboxCursor, connection_name, with_for_update=True)
    if row is None:
        session.add(
            MailboxCursor(
                connection_name=connection_name,
                uid_validity=uid_validity,
                last_uid=last_uid,
                updated_at=now,
            )
        )
    else:
        row.uid_validity, row.last_uid, row.updated_at = uid_validity, last_uid, now
    session.flush()


def handed_over(session: Session, message_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not message_ids:
        return set()
    stmt = select(EmailHandover.message_id).where(EmailHandover.message_id.in_(message_ids))
    return set(session.scalars(stmt))


def record_handover(session: Session, message_id: uuid.UUID, name: str, now: datetime) -> None:
    session.add(EmailHandover(message_id=message_id, connection_name=name, handed_at=now))
    session.flush()


def forget_handover(session: Session, message_id: uuid.UUID) -> None:
    """The SMTP server refused it for sure: it may be handed over again."""
    session.execute(delete(EmailHandover).where(EmailHandover.message_id == message_id))
