"""Wallets (billing accounts), their append-only ledger, and the price list."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class BillingAccount(Base):
    __tablename__ = "billing_accounts"
    __table_args__ = (CheckConstraint("balance_micros >= 0", name="balance_not_negative"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance_micros: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntry(Base):
    """One movement of money. `reference` is unique so that each effect (the debit of a
    campaign, the refund of a message, a top-up) can be written at most once."""

    __tablename__ = "ledger_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    billing_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("billing_accounts.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # DEBIT, REFUND, TOPUP
    amount_micros: Mapped[int] = mapped_column(BigInteger)  # signed: debits are negative
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Price(Base):
    """Price of one unit (an SMS segment) by channel, country and carrier; '*' matches any."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("channel_type", "country_alpha2", "carrier"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel_type: Mapped[str] = mapped_column(String(32))  # SMS, VOICE, WHATSAPP_MARKETING...
    country_alpha2: Mapped[str] = mapped_column(String(2))
    carrier: Mapped[str] = mapped_column(String(64))
    price_micros: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
