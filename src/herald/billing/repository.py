"""Every SQL statement of the billing domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from herald.billing.models import BillingAccount, LedgerEntry, Price


def add_account(session: Session, account: BillingAccount) -> None:
    session.add(account)
    session.flush()


def get_account(session: Session, account_id: uuid.UUID) -> BillingAccount | None:
    return session.get(BillingAccount, account_id)


def first_account_of(session: Session, organization_id: uuid.UUID) -> BillingAccount | None:
    stmt = (
        select(BillingAccount)
        .where(BillingAccount.organization_id == organization_id)
        .order_by(BillingAccount.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def withdraw(session: Session, account_id: uuid.UUID, amount: int, now: datetime) -> bool:
    """Take `amount` if the balance covers it; False (and nothing written) otherwise."""
    stmt = (
        update(BillingAccount)
        .where(BillingAccount.id == account_id, BillingAccount.balance_micros >= amount)
        .values(balance_micros=BillingAccount.balance_micros - amount, updated_at=now)
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def deposit(session: Session, account_id: uuid.UUID, amount: int, now: datetime) -> None:
    stmt = (
        update(BillingAccount)
        .where(BillingAccount.id == account_id)
        .values(balance_micros=BillingAccount.balance_micros + amount, updated_at=now)
    )
    session.execute(stmt)


def insert_entries(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        session.execute(insert(LedgerEntry), list(entries))


def existing_references(session: Session, references: Sequence[str]) -> set[str]:
    if not references:
        return set()
    stmt = select(LedgerEntry.reference).where(LedgerEntry.reference.in_(references))
    return set(session.scalars(stmt))


def ledger_sum(session: Session, account_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
        LedgerEntry.billing_account_id == account_id
    )
    return int(session.scalar(stmt) or 0)


def list_entries(session: Session, account_id: uuid.UUID, limit: int) -> list[LedgerEntry]:
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.billing_account_id == account_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def all_prices(session: Session, channel_type: str) -> list[Price]:
    return list(session.scalars(select(Price).where(Price.channel_type == channel_type)))


def find_price(
    session: Session, channel_type: str, country_alpha2: str, carrier: str
) -> Price | None:
    stmt = select(Price).where(
        Price.channel_type == channel_type,
        Price.country_alpha2 == country_alpha2,
        Price.carrier == carrier,
    )
    return session.scalars(stmt).first()


def add_price(session: Session, price: Price) -> None:
    session.add(price)
    session.flush()


def list_prices(session: Session) -> list[Price]:
    stmt = select(Price).order_by(Price.channel_type, Price.country_alpha2, Price.carrier)
    return list(session.scalars(stmt))
