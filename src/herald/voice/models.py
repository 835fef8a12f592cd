"""Tables of the voice channel. Leads and calls are also work rows: a lead is due for a
call at `due_at`; a call in flight holds a lease (`lease_until`) after which a sweep
presumes it lost, unless the node that placed it (`node_id`) restarts first and settles it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, JSONType, UTCDateTime

VOICE_CHANNEL = "VOICE"  # channel_type of the price list


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared (leads may still be uploaded); never dials
    ACTIVE = "active"  # launched, waiting for its start time or its first call
    RUNNING = "running"  # calls have started
    PAUSED = "paused"
    COMPLETED = "completed"  # every lead is finished
    CANCELLED = "cancelled"


DIALABLE = (CampaignStatus.ACTIVE, CampaignStatus.RUNNING)
FINAL_CAMPAIGN_STATUSES = frozenset({CampaignStatus.COMPLETED, CampaignStatus.CANCELLED})


class LeadStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (first or next) call at due_at
    CALLING = "calling"  # a call is in flight
    COMPLETED = "completed"  # answered: never called again
    FAILED = "failed"  # out of retries
    CANCELLED = "cancelled"  # its campaign was cancelled first


OPEN_LEAD_STATUSES = (LeadStatus.QUEUED, LeadStatus.CALLING)


class CallStatus(enum.StrEnum):
    QUEUED = "queued"  # created by the dialer, being handed to the provider
    RINGING = "ringing"
    IN_PROGRESS = "in_progress"  # answered
    COMPLETED = "completed"  # a person answered; the call ended
    VOICEMAIL = "voicemail"  # an answering machine answered
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"  # the network or the provider could not connect it


IN_FLIGHT = (CallStatus.QUEUED, CallStatus.RINGING, CallStatus.IN_PROGRESS)
# How far along a call is; a status only ever moves to a higher rank.
CALL_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.RINGING: 1,
    CallStatus.IN_PROGRESS: 2,
    **{s: 3 for s in CallStatus if s not in IN_FLIGHT},
}


class Agent(Base):
    """The script a campaign's calls run: what is said, what is asked, what to do on a
    voicemail, and the outcome labels a finished conversation is classified into."""

    __tablename__ = "voice_agents"
    __table_args__ = (Index("ix_voice_agents_org_id", "organization_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(200))
    greeting: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    voice: Mapped[str | None] = mapped_column(String(64), nullable=True)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    voicemail: Mapped[dict[str, Any]] = mapped_column(JSONType)
    outcome_labels: Mapped[list[str]] = mapped_column(JSONType)
    max_call_duration_seconds: Mapped[int] = mapped_column(Integer)
    # {"type": "websocket", "url": "wss://…"}: the caller's own AI agent talks on the line
    # over Herald's audio bridge instead of the scripted one (see README).
    bridge: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PhoneNumber(Base):
    """A number the tenant may call from, and the voice provider that carries its calls."""

    __tablename__ = "voice_phone_numbers"
    __table_args__ = (
        Index("uq_voice_phone_numbers_org_e164", "organization_id", "e164", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    e164: Mapped[str] = mapped_column(String(20))
    country_alpha2: Mapped[str | None] = mapped_column(String(2), nullable=True)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    provider_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallCampaign(Base):
    __tablename__ = "call_campaigns"
    __table_args__ = (
        Index("ix_call_campaigns_org_id", "organization_id", "id"),
        Index("ix_call_campaigns_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    billing_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("voice_agents.id"))
    phone_number_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("voice_phone_numbers.id"))
    from_phone_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    max_concurrent_calls: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    retry_interval_minutes: Mapped[int] = mapped_column(Integer)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # {"start": "09:00", "end": "18:00", "days": ["mon", ...], "timezone": "Europe/Lisbon"}
    calling_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Answered calls are recorded (both directions) to HERALD_DATA_DIR/recordings/.
    record_calls: Mapped[bool] = mapped_column(Boolean, server_default=false())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Lead(Base):
    __tablename__ = "call_leads"
    __table_args__ = (
        # The dialer takes a campaign's due leads in order.
        Index("ix_call_leads_work", "campaign_id", "status", "due_at"),
        # A campaign never holds the same number twice.
        Index("uq_call_leads_campaign_e164", "campaign_id", "e164", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("call_campaigns.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    e164: Mapped[str] = mapped_column(String(20))
    country_alpha2: Mapped[str | None] = mapped_column(String(2), nullable=True)
    carrier: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # One IANA zone, or several separated by commas when the number does not say which
    # (a mobile number of a country with several zones): then all must be in hours.
    timezone: Mapped[str] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Call(Base):
    """One call attempt to one lead, billed per started minute."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_campaign_status", "campaign_id", "status"),
        Index("ix_calls_campaign_id", "campaign_id", "id"),
        Index("ix_calls_lease", "status", "lease_until"),
        # The database itself refuses a second call in flight to the same lead.
        Index(
            "uq_calls_lead_in_flight",
            "lead_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'ringing', 'in_progress')"),
            postgresql_where=text("status IN ('queued', 'ringing', 'in_progress')"),
        ),
        # A restarted node finds the calls it had on the line.
        Index(
            "ix_calls_node_in_flight",
            "node_id",
            sqlite_where=text("status IN ('queued', 'ringing', 'in_progress')"),
            postgresql_where=text("status IN ('queued', 'ringing', 'in_progress')"),
        ),
        # A trunk's channels and calls per second are counted across every process.
        Index(
            "ix_calls_provider_in_flight",
            "provider_name",
            "started_at",
            sqlite_where=text("status IN ('queued', 'ringing', 'in_progress')"),
            postgresql_where=text("status IN ('queued', 'ringing', 'in_progress')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("call_campaigns.id"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("call_leads.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    billing_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_accounts.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    from_number: Mapped[str] = mapped_column(String(20))
    to_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    provider_name: Mapped[str] = mapped_column(String(64))
    provider_call_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The dialer (herald.kit.node) that placed it: it settles the call itself after a restart.
    node_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    price_per_minute_micros: Mapped[int] = mapped_column(BigInteger)
    held_micros: Mapped[int] = mapped_column(BigInteger)
    billable_minutes: Mapped[int] = mapped_column(Integer)
    cost_micros: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recording_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Trunk(Base):
    """A SIP trunk the operator configured: where calls go, how to authenticate, and how
    many calls it carries at once (`max_channels`) and starts per second (`cps`). A caller
    number whose `provider_name` is the trunk's name places its calls over it."""

    __tablename__ = "voice_trunks"
    __table_args__ = (Index("uq_voice_trunks_name", "name", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(8))  # "udp" or "tcp"
    username: Mapped[str | None] = mapped_column(String(128), nullable=True)
    password: Mapped[str | None] = mapped_column(String(128), nullable=True)
    from_domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    max_channels: Mapped[int] = mapped_column(Integer)
    cps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
