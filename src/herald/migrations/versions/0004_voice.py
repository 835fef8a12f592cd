"""voice: agents, caller numbers, call campaigns, their leads and calls; a default price

Revision ID: 0004_voice
Revises: 0001
Create Date: 2026-11-22 07:00:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import herald.kit.db

revision: str = "0004_voice"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = herald.kit.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
IN_FLIGHT = "status IN ('queued', 'ringing', 'in_progress')"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    _agents()
    _phone_numbers()
    _campaigns()
    _leads()
    _calls()
    _default_price()


def _agents() -> None:
    op.create_table(
        "voice_agents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("greeting", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("voice", sa.String(length=64), nullable=True),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("voicemail", JSON, nullable=False),
        sa.Column("outcome_labels", JSON, nullable=False),
        sa.Column("max_call_duration_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("voice_agents", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_agents")),
    )
    op.create_index("ix_voice_agents_org_id", "voice_agents", ["organization_id", "id"])


def _phone_numbers() -> None:
    op.create_table(
        "voice_phone_numbers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("country_alpha2", sa.String(length=2), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("provider_name", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        _fk("voice_phone_numbers", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_phone_numbers")),
    )
    op.create_index(
        "uq_voice_phone_numbers_org_e164",
        "voice_phone_numbers",
        ["organization_id", "e164"],
        unique=True,
    )


def _campaigns() -> None:
    op.create_table(
        "call_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("billing_account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("phone_number_id", sa.Uuid(), nullable=False),
        sa.Column("from_phone_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("retry_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("start_at", TIME, nullable=True),
        sa.Column("calling_hours", JSON, nullable=True),
        sa.Column("pause_reason", sa.String(length=64), nullable=True),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("completed_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("call_campaigns", "organization_id", "organizations"),
        _fk("call_campaigns", "billing_account_id", "billing_accounts"),
        _fk("call_campaigns", "agent_id", "voice_agents"),
        _fk("call_campaigns", "phone_number_id", "voice_phone_numbers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_campaigns")),
    )
    op.create_index("ix_call_campaigns_org_id", "call_campaigns", ["organization_id", "id"])
    op.create_index("ix_call_campaigns_status", "call_campaigns", ["status"])


def _leads() -> None:
    op.create_table(
        "call_leads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("country_alpha2", sa.String(length=2), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=255), nullable=False),
        sa.Column("variables", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("call_leads", "campaign_id", "call_campaigns"),
        _fk("call_leads", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_leads")),
    )
    op.create_index("ix_call_leads_work", "call_leads", ["campaign_id", "status", "due_at"])
    op.create_index(
        "uq_call_leads_campaign_e164", "call_leads", ["campaign_id", "e164"], unique=True
    )


def _calls() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("billing_account_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("provider_call_id", sa.String(length=128), nullable=True),
        sa.Column("answered_by", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("price_per_minute_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_micros", sa.BigInteger(), nullable=False),
        sa.Column("billable_minutes", sa.Integer(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("answered_at", TIME, nullable=True),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("lease_until", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("calls", "campaign_id", "call_campaigns"),
        _fk("calls", "lead_id", "call_leads"),
        _fk("calls", "organization_id", "organizations"),
        _fk("calls", "billing_account_id", "billing_accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index("ix_calls_campaign_status", "calls", ["campaign_id", "status"])
    op.create_index("ix_calls_campaign_id", "calls", ["campaign_id", "id"])
    op.create_index("ix_calls_lease", "calls", ["status", "lease_until"])
    op.create_index(
        "uq_calls_lead_in_flight",
        "calls",
        ["lead_id"],
        unique=True,
        sqlite_where=sa.text(IN_FLIGHT),
        postgresql_where=sa.text(IN_FLIGHT),
    )


PRICES = sa.table(
    "prices",
    sa.column("id", sa.Uuid()),
    sa.column("channel_type", sa.String()),
    sa.column("country_alpha2", sa.String()),
    sa.column("carrier", sa.String()),
    sa.column("price_micros", sa.BigInteger()),
    sa.column("updated_at", herald.kit.db.UTCDateTime()),
)
DEFAULT_PRICE_ID = uuid.UUID("019aa000-0000-7000-8000-000000000004")


def _default_price() -> None:
    # A default price per started minute of a call to anywhere, like the SMS default;
    # operators refine it with `herald price set --channel VOICE --country CC --price P`.
    op.bulk_insert(
        PRICES,
        [
            {
                "id": DEFAULT_PRICE_ID,
                "channel_type": "VOICE",
                "country_alpha2": "*",
                "carrier": "*",
                "price_micros": 50_000,
                "updated_at": datetime(2026, 11, 22, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.delete(PRICES).where(PRICES.c.id == DEFAULT_PRICE_ID))
    for table in ("calls", "call_leads", "call_campaigns", "voice_phone_numbers", "voice_agents"):
        op.drop_table(table)
