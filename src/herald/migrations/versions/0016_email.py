"""email: a message's address, reply senders as long as an address, a campaign's
mailboxes, per-mailbox daily counts, the addresses a tenant must not email, each
mailbox's IMAP read position, the emails handed to SMTP

Revision ID: 0016_email
Revises: 0012_one_book
Create Date: 2026-12-02 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from herald.kit.db import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0016_email"
down_revision: str | None = "0012_one_book"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("address", sa.String(length=254), nullable=True))
    with op.batch_alter_table("inbound_messages") as batch:
        batch.alter_column("from_number", type_=sa.String(length=254), existing_nullable=False)
        batch.alter_column("to_number", type_=sa.String(length=254), existing_nullable=False)
    with op.batch_alter_table("outreach_campaigns") as batch:
        batch.add_column(sa.Column("mailboxes", JSON, nullable=True))
    op.create_table(
        "outreach_mailbox_days",
        sa.Column("connection_name", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("connection_name", "day", name=op.f("pk_outreach_mailbox_days")),
    )
    op.create_table(
        "email_suppressions",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_email_suppressions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "address", name=op.f("pk_email_suppressions")),
    )
    op.create_table(
        "email_mailbox_cursors",
        sa.Column("connection_name", sa.String(length=64), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connection_name", name=op.f("pk_email_mailbox_cursors")),
    )
    op.create_table(
        "email_handovers",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("connection_name", sa.String(length=64), nullable=False),
        sa.Column("handed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_email_handovers")),
    )


def downgrade() -> None:
    op.drop_table("email_handovers")
    op.drop_table("email_mailbox_cursors")
    op.drop_table("email_suppressions")
    op.drop_table("outreach_mailbox_days")
    with op.batch_alter_table("outreach_campaigns") as batch:
        batch.drop_column("mailboxes")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.alter_column("to_number", type_=sa.String(length=32), existing_nullable=False)
        batch.alter_column("from_number", type_=sa.String(length=32), existing_nullable=False)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("address")
