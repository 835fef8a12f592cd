"""carrier connections, routes, message parts, inbound messages, suppression lists

Revision ID: 0002_smpp
Revises: 0001
Create Date: 2026-11-22 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import herald.kit.db

revision: str = "0002_smpp"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = herald.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    _connections()
    _routes()
    _message_parts()
    _part_receipts()
    _inbound_messages()
    _suppressions()


def _connections() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=16), nullable=False),
        sa.Column("password", sa.String(length=64), nullable=False),
        sa.Column("system_type", sa.String(length=13), nullable=False),
        sa.Column("tps", sa.Integer(), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("bind_mode", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("name", name=op.f("uq_connections_name")),
    )


def _routes() -> None:
    op.create_table(
        "routes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("connection_name", sa.String(length=64), nullable=False),
        sa.Column("country_alpha2", sa.String(length=2), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
    )
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routes_connection_name"), ["connection_name"], unique=False
        )


def _message_parts() -> None:
    op.create_table(
        "message_parts",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("parts_total", sa.Integer(), nullable=False),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("carrier_message_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("in_doubt", sa.Boolean(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("reported_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_parts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("message_id", "part_number", name=op.f("pk_message_parts")),
    )
    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_parts_carrier_ref", ["provider_name", "carrier_message_id"], unique=False
        )
        batch_op.create_index(
            "ix_message_parts_open", ["provider_name", "reported_at"], unique=False
        )


def _part_receipts() -> None:
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
    with op.batch_alter_table("part_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_part_receipts_ref", ["provider_name", "carrier_message_id"], unique=False
        )


def _inbound_messages() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("from_number", sa.String(length=32), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=True),
        sa.Column("provider_name", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbound_messages_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_org_id", ["organization_id", "id"], unique=False)
        batch_op.create_index(
            "ix_inbound_messages_org_from", ["organization_id", "from_number"], unique=False
        )


def _suppressions() -> None:
    op.create_table(
        "suppressions",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("e164", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("inbound_message_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_suppressions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "e164", name=op.f("pk_suppressions")),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_org_from")
        batch_op.drop_index("ix_inbound_messages_org_id")
    op.drop_table("inbound_messages")
    with op.batch_alter_table("part_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_part_receipts_ref")
    op.drop_table("part_receipts")
    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_message_parts_open")
        batch_op.drop_index("ix_message_parts_carrier_ref")
    op.drop_table("message_parts")
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_connection_name"))
    op.drop_table("routes")
    op.drop_table("connections")
