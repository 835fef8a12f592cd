"""one book: message_parts owned by messaging for every channel, one early_receipts table

The parts table keeps the carrier id of every part (`provider_message_id`, as the port and
the messages table call it); parts whose submit had no known answer are no longer kept.
Receipts that came before their part (`orphan_receipts` of messaging, `part_receipts` of the
SMPP connections) move into `early_receipts`. Messages SENT before this revision get their
single part, so that their receipts still find them.

Revision ID: 0012_one_book
Revises: 0010_channels
Create Date: 2026-12-02 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from herald.kit.db import UTCDateTime

revision: str = "0012_one_book"
down_revision: str | None = "0010_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = UTCDateTime(timezone=True)


def upgrade() -> None:
    _claim_index()
    op.execute("DELETE FROM message_parts WHERE carrier_message_id IS NULL")
    with op.batch_alter_table("message_parts") as batch:
        batch.drop_index("ix_message_parts_open")
        batch.drop_index("ix_message_parts_carrier_ref")
        batch.alter_column(
            "carrier_message_id",
            new_column_name="provider_message_id",
            existing_type=sa.String(length=128),
            nullable=False,
        )
        batch.drop_column("in_doubt")
        batch.drop_column("reported_at")
    with op.batch_alter_table("message_parts") as batch:
        batch.create_index("ix_message_parts_ref", ["provider_name", "provider_message_id"])
    op.execute(
        "INSERT INTO message_parts (message_id, part_number, parts_total, provider_name,"
        " provider_message_id, resends, updated_at)"
        " SELECT id, 1, 1, provider_name, provider_message_id, 0, updated_at FROM messages"
        " WHERE status = 'SENT' AND provider_name IS NOT NULL"
        " AND provider_message_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM message_parts p WHERE p.message_id = messages.id)"
    )
    op.create_table(
        "early_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("provider_message_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_receipts")),
    )
    with op.batch_alter_table("early_receipts") as batch:
        batch.create_index("ix_early_receipts_ref", ["provider_name", "provider_message_id"])
        batch.create_index("ix_early_receipts_receipt", ["receipt_id"])
    columns = "status, error_code, received_at"
    op.execute(
        "INSERT INTO early_receipts (id, receipt_id, provider_name, provider_message_id, "
        f"{columns}) SELECT id, id, provider_name, provider_message_id, {columns}"
        " FROM orphan_receipts"
    )
    op.execute(
        "INSERT INTO early_receipts (id, receipt_id, provider_name, provider_message_id, "
        f"{columns}) SELECT id, id, provider_name, carrier_message_id, {columns}"
        " FROM part_receipts"
    )
    with op.batch_alter_table("orphan_receipts") as batch:
        batch.drop_index("ix_orphan_receipts_ref")
    op.drop_table("orphan_receipts")
    with op.batch_alter_table("part_receipts") as batch:
        batch.drop_index("ix_part_receipts_ref")
    op.drop_table("part_receipts")


def _claim_index() -> None:
    """The claim orders by priority DESC, due_at, id: an index in that order serves it."""
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_work")
    op.create_index(
        "ix_messages_due",
        "messages",
        ["status", sa.text("priority DESC"), "due_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_due", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.create_index("ix_messages_work", ["status", "due_at"])
    op.create_table(
        "part_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("carrier_message_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_receipts")),
    )
    with op.batch_alter_table("part_receipts") as batch:
        batch.create_index("ix_part_receipts_ref", ["provider_name", "carrier_message_id"])
    op.create_table(
        "orphan_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("provider_message_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orphan_receipts")),
    )
    with op.batch_alter_table("orphan_receipts") as batch:
        batch.create_index("ix_orphan_receipts_ref", ["provider_name", "provider_message_id"])
    op.execute(
        "INSERT INTO orphan_receipts SELECT id, provider_name, provider_message_id, status,"
        " error_code, received_at FROM early_receipts WHERE id = receipt_id"
    )
    with op.batch_alter_table("early_receipts") as batch:
        batch.drop_index("ix_early_receipts_receipt")
        batch.drop_index("ix_early_receipts_ref")
    op.drop_table("early_receipts")
    with op.batch_alter_table("message_parts") as batch:
        batch.drop_index("ix_message_parts_ref")
        batch.add_column(sa.Column("reported_at", UTC, nullable=True))
        batch.add_column(
            sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.alter_column(
            "provider_message_id",
            new_column_name="carrier_message_id",
            existing_type=sa.String(length=128),
            nullable=True,
        )
    with op.batch_alter_table("message_parts") as batch:
        batch.create_index("ix_message_parts_carrier_ref", ["provider_name", "carrier_message_id"])
        batch.create_index("ix_message_parts_open", ["provider_name", "reported_at"])
