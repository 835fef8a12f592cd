"""recipients a batch dropped at expansion, each with its reason

Revision ID: 0008_input
Revises: 0007_mo_parts
Create Date: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import herald.kit.db

revision: str = "0008_input"
down_revision: str | None = "0007_mo_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = herald.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dropped_recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("e164_format", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_dropped_recipients_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dropped_recipients")),
    )
    op.create_index("ix_dropped_recipients_campaign", "dropped_recipients", ["campaign_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_dropped_recipients_campaign", table_name="dropped_recipients")
    op.drop_table("dropped_recipients")
