"""The WhatsApp channel's own tables: the business accounts' templates, and the webhook
items already handled (Meta may post one twice)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class WhatsAppTemplate(Base):
    """A message template of a connection's business account, as the last sync saw it."""

    __tablename__ = "whatsapp_templates"
    __table_args__ = (UniqueConstraint("connection_name", "name", "language"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    connection_name: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))  # Meta's code: en_US, pt_BR
    status: Mapped[str] = mapped_column(String(32))  # APPROVED, PENDING, REJECTED, PAUSED...
    category: Mapped[str] = mapped_column(String(32))  # MARKETING, UTILITY, AUTHENTICATION
    body: Mapped[str] = mapped_column(Text)
    header: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_parameters: Mapped[int] = mapped_column(Integer)
    header_parameters: Mapped[int] = mapped_column(Integer)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookItem(Base):
    """A webhook item (an inbound message) handled once: its key is Meta's id for it."""

    __tablename__ = "whatsapp_webhook_items"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    connection_name: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
