"""SIP trunks for voice campaigns; calls counted per provider for the trunk limits

Revision ID: 0013_sip
Revises: 0014_whatsapp
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import herald.kit.db

revision: str = "0013_sip"
down_revision: str | None = "0014_whatsapp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = herald.kit.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
IN_FLIGHT = "status IN ('queued', 'ringing', 'in_progress')"


def upgrade() -> None:
    with op.batch_alter_table("voice_agents") as batch:
        batch.add_column(sa.Column("bridge", JSON, nullable=True))
    with op.batch_alter_table("call_campaigns") as batch:
        batch.add_column(
            sa.Column("record_calls", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("recording_seconds", sa.Integer(), nullable=True))
    op.create_table(
        "voice_trunks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=8), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=True),
        sa.Column("password", sa.String(length=128), nullable=True),
        sa.Column("from_domain", sa.String(length=255), nullable=True),
        sa.Column("max_channels", sa.Integer(), nullable=False),
        sa.Column("cps", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_trunks")),
    )
    op.create_index("uq_voice_trunks_name", "voice_trunks", ["name"], unique=True)
    op.create_index(
        "ix_calls_provider_in_flight",
        "calls",
        ["provider_name", "started_at"],
        sqlite_where=sa.text(IN_FLIGHT),
        postgresql_where=sa.text(IN_FLIGHT),
    )


def downgrade() -> None:
    op.drop_index("ix_calls_provider_in_flight", table_name="calls")
    op.drop_index("uq_voice_trunks_name", table_name="voice_trunks")
    op.drop_table("voice_trunks")
    with op.batch_alter_table("voice_agents") as batch:
        batch.drop_column("bridge")
    with op.batch_alter_table("call_campaigns") as batch:
        batch.drop_column("record_calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("recording_seconds")
