"""How far each mailbox's INBOX has been read (IMAP UIDs are only comparable within one
UIDVALIDITY): after a restart nothing already handled is read again."""

from __future__ import annotations

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
