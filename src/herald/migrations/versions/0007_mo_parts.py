"""parts of long mobile-originated messages, kept until the last part arrives

Revision ID: 0007_mo_parts
Revises: 0006_merge
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import herald.kit.db

revision: str = "0007_mo_parts"
down_revision: str | None = "0006_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = herald.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mo_parts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("parts_total", sa.Integer(), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mo_parts")),
        sa.UniqueConstraint(
            "provider_name",
            "source",
            "destination",
            "reference",
            "parts_total",
            "part_number",
            name="uq_mo_parts_part",
        ),
    )


def downgrade() -> None:
    op.drop_table("mo_parts")
