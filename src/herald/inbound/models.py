"""Messages people send us (replies, keywords) and each tenant's suppression list."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_messages_org_id", "organization_id", "id"),
        Index("ix_inbound_messages_org_from", "organization_id", "from_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # None when no tenant owns the number or sender ID it was sent to.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True
    )
    # E.164 when it parses as a number; the sender's address for an email reply.
    from_number: Mapped[str] = mapped_column(String(254))
    to_number: Mapped[str] = mapped_column(String(254))  # our number, sender ID or mailbox
    content: Mapped[str] = mapped_column(Text)
    # What the message did: OPT_OUT or OPT_IN (a keyword), or None for a plain reply.
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provider_name: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Suppression(Base):
    """A number a tenant must not message: it opted out (STOP) or the operator said so."""

    __tablename__ = "suppressions"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True
    )
    e164: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))  # the keyword, or OPERATOR
    inbound_message_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmailSuppression(Base):
    """An email address a tenant must not email: it unsubscribed (the one-click link) or
    bounced (a delivery status notification, whose status code is kept)."""

    __tablename__ = "email_suppressions"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(254), primary_key=True)  # lower case
    reason: Mapped[str] = mapped_column(String(32))  # UNSUBSCRIBED or BOUNCED
    status_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
