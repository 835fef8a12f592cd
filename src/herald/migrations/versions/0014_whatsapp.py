"""WhatsApp: templates, webhook items handled, a message's read time, longer price channels

Revision ID: 0014_whatsapp
Revises: 0016_email
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from herald.kit.db import UTCDateTime

revision: str = "0014_whatsapp"
down_revision: str | None = "0016_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("connection_name", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("header", sa.Text(), nullable=True),
        sa.Column("body_parameters", sa.Integer(), nullable=False),
        sa.Column("header_parameters", sa.Integer(), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_templates")),
        sa.UniqueConstraint(
            "connection_name",
            "name",
            "language",
            name=op.f("uq_whatsapp_templates_connection_name_name_language"),
        ),
    )
    op.create_table(
        "whatsapp_webhook_items",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("connection_name", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_whatsapp_webhook_items")),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("read_at", UTCDateTime(), nullable=True))
    # WHATSAPP_AUTHENTICATION and its kin are longer than 16 characters.
    with op.batch_alter_table("prices") as batch:
        batch.alter_column(
            "channel_type", type_=sa.String(length=32), existing_type=sa.String(length=16)
        )


def downgrade() -> None:
    with op.batch_alter_table("prices") as batch:
        batch.alter_column(
            "channel_type", type_=sa.String(length=16), existing_type=sa.String(length=32)
        )
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("read_at")
    op.drop_table("whatsapp_webhook_items")
    op.drop_table("whatsapp_templates")
