"""calls remember the dialer node that placed them, for recovery after a crash

Revision ID: 0009_voice_owner
Revises: 0007_mo_parts
Create Date: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_voice_owner"
down_revision: str | None = "0008_input"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FLIGHT = "status IN ('queued', 'ringing', 'in_progress')"


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("node_id", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_calls_node_in_flight",
        "calls",
        ["node_id"],
        sqlite_where=sa.text(IN_FLIGHT),
        postgresql_where=sa.text(IN_FLIGHT),
    )


def downgrade() -> None:
    op.drop_index("ix_calls_node_in_flight", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("node_id")
