"""channels beyond SMS: a message's payload, a connection's settings, a route's channel

Revision ID: 0010_channels
Revises: 0009_voice_owner
Create Date: 2026-12-02 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0010_channels"
down_revision: str | None = "0009_voice_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("payload", JSON, nullable=True))
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("settings", JSON, nullable=True))
    with op.batch_alter_table("routes") as batch:
        batch.add_column(
            sa.Column("channel_type", sa.String(length=16), nullable=False, server_default="SMS")
        )


def downgrade() -> None:
    with op.batch_alter_table("routes") as batch:
        batch.drop_column("channel_type")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("settings")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("payload")
