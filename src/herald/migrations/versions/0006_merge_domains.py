"""Merge the domain branches (SMPP, webhooks, voice, outreach) into one line again.

Revision ID: 0006_merge
Revises: 0002_smpp, 0003_webhooks, 0004_voice, 0005_outreach
Create Date: 2026-11-22
"""

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = (
    "0002_smpp",
    "0003_webhooks",
    "0004_voice",
    "0005_outreach",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
