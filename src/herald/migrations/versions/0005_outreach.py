"""outreach: account groups, leads, campaigns with workflows, enrollments, conversation

Revision ID: 0005_outreach
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import herald.kit.db

revision: str = "0005_outreach"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_account_groups_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_groups")),
    )
    with op.batch_alter_table("account_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_groups_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "account_group_access",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("account_group_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_group_id"],
            ["account_groups.id"],
            name=op.f("fk_account_group_access_account_group_id_account_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_account_group_access_api_key_id_api_keys"),
        ),
        sa.PrimaryKeyConstraint(
            "api_key_id", "account_group_id", name=op.f("pk_account_group_access")
        ),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("account_group_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_group_id"],
            ["account_groups.id"],
            name=op.f("fk_leads_account_group_id_account_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_leads_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_org_phone", ["organization_id", "phone"], unique=False)
        batch_op.create_index("uq_leads_group_phone", ["account_group_id", "phone"], unique=True)

    op.create_table(
        "outreach_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("account_group_id", sa.Uuid(), nullable=False),
        sa.Column("billing_account_id", sa.Uuid(), nullable=False),
        sa.Column("remitter_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("include_conversation_history", sa.Boolean(), nullable=False),
        sa.Column("auto_cancel_on_message_received", sa.Boolean(), nullable=False),
        sa.Column("outreach_language", sa.String(length=16), nullable=False),
        sa.Column(
            "workflow",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("daily_send_cap", sa.Integer(), nullable=True),
        sa.Column("rate_limited_until", herald.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("started_at", herald.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", herald.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_group_id"],
            ["account_groups.id"],
            name=op.f("fk_outreach_campaigns_account_group_id_account_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_outreach_campaigns_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outreach_campaigns_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["remitter_id"],
            ["remitters.id"],
            name=op.f("fk_outreach_campaigns_remitter_id_remitters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_campaigns")),
    )
    with op.batch_alter_table("outreach_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outreach_campaigns_group", ["account_group_id", "id"], unique=False
        )

    op.create_table(
        "outreach_sender_days",
        sa.Column("remitter_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["remitter_id"],
            ["remitters.id"],
            name=op.f("fk_outreach_sender_days_remitter_id_remitters"),
        ),
        sa.PrimaryKeyConstraint("remitter_id", "day", name=op.f("pk_outreach_sender_days")),
    )
    op.create_table(
        "outreach_enrollments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("due_at", herald.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", herald.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["outreach_campaigns.id"],
            name=op.f("fk_outreach_enrollments_campaign_id_outreach_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_outreach_enrollments_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outreach_enrollments_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_enrollments")),
    )
    with op.batch_alter_table("outreach_enrollments", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_enrollments_lead", ["lead_id"], unique=False)
        batch_op.create_index("ix_outreach_enrollments_work", ["state", "due_at"], unique=False)
        batch_op.create_index(
            "uq_outreach_enrollments_campaign_lead", ["campaign_id", "lead_id"], unique=True
        )

    op.create_table(
        "outreach_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("inbound_message_id", sa.Uuid(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", herald.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["outreach_campaigns.id"],
            name=op.f("fk_outreach_messages_campaign_id_outreach_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["outreach_enrollments.id"],
            name=op.f("fk_outreach_messages_enrollment_id_outreach_enrollments"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_outreach_messages_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_outreach_messages_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outreach_messages_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_messages")),
    )
    with op.batch_alter_table("outreach_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_messages_lead", ["lead_id", "id"], unique=False)
        batch_op.create_index("ix_outreach_messages_message", ["message_id"], unique=False)
        batch_op.create_index("ix_outreach_messages_inbound", ["inbound_message_id"], unique=False)
        batch_op.create_index(
            "uq_outreach_messages_step", ["enrollment_id", "step_index"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_messages", schema=None) as batch_op:
        batch_op.drop_index("uq_outreach_messages_step")
        batch_op.drop_index("ix_outreach_messages_inbound")
        batch_op.drop_index("ix_outreach_messages_message")
        batch_op.drop_index("ix_outreach_messages_lead")

    op.drop_table("outreach_messages")
    with op.batch_alter_table("outreach_enrollments", schema=None) as batch_op:
        batch_op.drop_index("uq_outreach_enrollments_campaign_lead")
        batch_op.drop_index("ix_outreach_enrollments_work")
        batch_op.drop_index("ix_outreach_enrollments_lead")

    op.drop_table("outreach_enrollments")
    op.drop_table("outreach_sender_days")
    with op.batch_alter_table("outreach_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_outreach_campaigns_group")

    op.drop_table("outreach_campaigns")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("uq_leads_group_phone")
        batch_op.drop_index("ix_leads_org_phone")

    op.drop_table("leads")
    op.drop_table("account_group_access")
    with op.batch_alter_table("account_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_groups_organization_id"))

    op.drop_table("account_groups")
