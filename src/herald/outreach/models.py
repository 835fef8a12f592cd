"""Outreach: account groups and who may use them, leads, campaigns that run a workflow per
lead, and the conversation with each lead. `outreach_enrollments` is the work queue: one
row per lead of a campaign, with the next step to run, its due time and a lease."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, JSONType, UTCDateTime


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EnrollmentState(enum.StrEnum):
    ACTIVE = "active"  # has a next step, due at `due_at`
    COMPLETED = "completed"  # every step ran
    REPLIED = "replied"  # the lead answered and the campaign stops on replies
    CANCELLED = "cancelled"  # the campaign was cancelled
    OPTED_OUT = "opted_out"  # the number is on the tenant's suppression list (STOP)
    FAILED = "failed"  # a step could not run for this lead (see `error_code`)
    BOUNCED = "bounced"  # the lead's email address bounced (a delivery status notification)


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class AccountGroup(Base):
    """A group of accounts inside a tenant (a sales team); leads and campaigns live in one."""

    __tablename__ = "account_groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountGroupAccess(Base):
    """An API key may act on an account group only if a row says so."""

    __tablename__ = "account_group_access"

    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    account_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account_groups.id"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        # One lead per number in a group: importing the same number again updates it.
        Index("uq_leads_group_phone", "account_group_id", "phone", unique=True),
        Index("ix_leads_org_phone", "organization_id", "phone"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    account_group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account_groups.id"))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutreachCampaign(Base):
    __tablename__ = "outreach_campaigns"
    __table_args__ = (Index("ix_outreach_campaigns_group", "account_group_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    account_group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account_groups.id"))
    billing_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_accounts.id"))
    remitter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("remitters.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    include_conversation_history: Mapped[bool] = mapped_column(Boolean)
    auto_cancel_on_message_received: Mapped[bool] = mapped_column(Boolean)
    outreach_language: Mapped[str] = mapped_column(String(16))
    # The steps, as the workflow endpoint shows them (see workflow.py).
    workflow: Mapped[dict[str, Any]] = mapped_column(JSONType)
    daily_send_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The email connections (mailboxes) EMAIL steps are sent from, in turn.
    mailboxes: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    # Set while the campaign is paused by a sending cap; it resumes on its own then.
    rate_limited_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Enrollment(Base):
    """A lead selected into a campaign, and how far its sequence has gone."""

    __tablename__ = "outreach_enrollments"
    __table_args__ = (
        Index("uq_outreach_enrollments_campaign_lead", "campaign_id", "lead_id", unique=True),
        Index("ix_outreach_enrollments_work", "state", "due_at"),
        Index("ix_outreach_enrollments_lead", "lead_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outreach_campaigns.id"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"))
    state: Mapped[str] = mapped_column(String(16))
    step_index: Mapped[int] = mapped_column(Integer)  # the next step to run
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationEntry(Base):
    """One message of the conversation with a lead: a step we sent (the message itself,
    with its delivery state, lives in `messages`) or a reply the lead wrote."""

    __tablename__ = "outreach_messages"
    __table_args__ = (
        Index("ix_outreach_messages_lead", "lead_id", "id"),
        Index("ix_outreach_messages_message", "message_id"),
        Index("ix_outreach_messages_inbound", "inbound_message_id"),
        # A step is sent at most once to a lead, whatever restarts happen.
        Index("uq_outreach_messages_step", "enrollment_id", "step_index", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"))
    direction: Mapped[str] = mapped_column(String(8))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outreach_campaigns.id"), nullable=True
    )
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outreach_enrollments.id"), nullable=True
    )
    step_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    inbound_message_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SenderDay(Base):
    """How many outreach messages a sender ID sent on one UTC day (the daily cap)."""

    __tablename__ = "outreach_sender_days"

    remitter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("remitters.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer)


class MailboxDay(Base):
    """How many outreach emails a mailbox (an email connection) sent on one UTC day."""

    __tablename__ = "outreach_mailbox_days"

    connection_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer)
