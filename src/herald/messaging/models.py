"""Campaigns and messages. Both tables are also work queues: a row's state, `due_at` and
lease say what work is left and who holds it (see herald.queue)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, JSONType, UTCDateTime


class CampaignStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    PROCESSING = "PROCESSING"
    SENDING = "SENDING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    PAUSED = "PAUSED"


class MessageStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    UNDELIVERED = "UNDELIVERED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


FINAL_MESSAGE_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        MessageStatus.UNDELIVERED,
        MessageStatus.EXPIRED,
        MessageStatus.REJECTED,
        MessageStatus.CANCELLED,
    }
)
# A message that ends in one of these states gives its cost back, exactly once.
REFUNDABLE_STATUSES = frozenset(FINAL_MESSAGE_STATUSES - {MessageStatus.DELIVERED})


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_work", "status", "due_at"),
        Index("ix_campaigns_org_id", "organization_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    billing_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    trigger_source: Mapped[str] = mapped_column(String(32))
    file_metadata_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    channel_type: Mapped[str] = mapped_column(String(16))
    remitter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("remitters.id"), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    country_alpha2: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # The recipients as submitted; expanded into messages by a worker.
    recipients: Mapped[list[str]] = mapped_column(JSONType)
    total_estimated_recipients: Mapped[int] = mapped_column(Integer)
    estimated_cost_micros: Mapped[int] = mapped_column(BigInteger)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Counters fixed at expansion and the pause reason; live tallies are computed on read.
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_org_id", "organization_id", "id"),
        Index("ix_messages_campaign_status", "campaign_id", "status"),
        Index("ix_messages_provider_ref", "provider_name", "provider_message_id"),
        # A campaign never holds the same number twice, even if expansion runs again.
        Index("uq_messages_campaign_e164", "campaign_id", "e164_format", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    billing_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_accounts.id"))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"), nullable=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    remitter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("remitters.id"), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    channel_type: Mapped[str] = mapped_column(String(16))
    channel_destination: Mapped[str] = mapped_column(String(64))
    country_alpha2: Mapped[str | None] = mapped_column(String(2), nullable=True)
    provider_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    e164_format: Mapped[str] = mapped_column(String(20))
    # The email address of an EMAIL message (None on channels addressed by phone number).
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    # What the channel needs beyond the text (a WhatsApp template, an email's subject and
    # thread headers); None for SMS. Handed to the provider as Submission.payload.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(Integer)
    trigger_source: Mapped[str] = mapped_column(String(32))
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    is_refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When the person read it, on channels that say so (WhatsApp); the status stays DELIVERED.
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Dispatch claims PENDING rows in this order (queue.claim): the index hands them over in
# order, so that a claim reads `limit` rows whatever the backlog (no sort of every pending
# row). Only rows with a due time are runnable.
Index(
    "ix_messages_due",
    Message.status,
    Message.priority.desc(),
    Message.due_at,
    Message.id,
)


class DropReason(enum.StrEnum):
    """Why a recipient of a batch got no message (it is not billed)."""

    NOT_A_PHONE_NUMBER = "NOT_A_PHONE_NUMBER"  # no country's numbering plan can read it
    INVALID_NUMBER = "INVALID_NUMBER"  # reads as a number, but no such number can exist
    DUPLICATE = "DUPLICATE"  # the same number appeared earlier in the batch
    OPTED_OUT = "OPTED_OUT"  # the person asked to receive nothing more


class DroppedRecipient(Base):
    """A recipient of a batch that expansion dropped, with its reason; written in the
    transaction that writes the campaign's messages."""

    __tablename__ = "dropped_recipients"
    __table_args__ = (Index("ix_dropped_recipients_campaign", "campaign_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"))
    position: Mapped[int] = mapped_column(Integer)  # index in the submitted recipients
    recipient: Mapped[str] = mapped_column(String(64))  # as submitted
    e164_format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessagePart(Base):
    """The book of what carriers took: one row per part (an SMS segment, a WhatsApp or email
    message) with the carrier's id, written by dispatch in the transaction that marks the
    message SENT, and the part's receipt. A receipt names a part, never a whole message:
    the message is final once every part has its receipt."""

    __tablename__ = "message_parts"
    __table_args__ = (Index("ix_message_parts_ref", "provider_name", "provider_message_id"),)

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    parts_total: Mapped[int] = mapped_column(Integer)
    provider_name: Mapped[str] = mapped_column(String(64))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # from its receipt
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Times this part went out again after a try whose outcome was unknown.
    resends: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EarlyReceipt(Base):
    """A receipt that arrived before its part was recorded (it overtook the carrier's answer
    to the submit); applied when the part is recorded. One row per spelling of the carrier
    id (`Receipt.aliases`), all of one receipt sharing `receipt_id`."""

    __tablename__ = "early_receipts"
    __table_args__ = (
        Index("ix_early_receipts_ref", "provider_name", "provider_message_id"),
        Index("ix_early_receipts_receipt", "receipt_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    receipt_id: Mapped[uuid.UUID] = mapped_column()
    provider_name: Mapped[str] = mapped_column(String(64))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
