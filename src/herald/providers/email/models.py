"""The email provider's own state: how far each mailbox's INBOX has been read (IMAP UIDs
are only comparable within one UIDVALIDITY: after a restart nothing already handled is
read again), and which emails were handed to SMTP (never handed over twice)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class MailboxCursor(Base):
    __tablename__ = "email_mailbox_cursors"

    connection_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    uid_validity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmailHandover(Base):
    """An email about to be handed to the SMTP server. SMTP cannot say whether an email
    whose answer was lost (a crash, a dropped connection after the data) was taken; an
    email with a row here is never handed over again: a lead gets a step at most once."""

    __tablename__ = "email_handovers"

    message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    connection_name: Mapped[str] = mapped_column(String(64))
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime())
