"""The email provider's own table: each mailbox's IMAP read position."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from herald.providers.email.models import MailboxCursor


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
