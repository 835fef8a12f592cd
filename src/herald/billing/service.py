"""The wallet: an append-only ledger plus a balance that never goes below zero.

Every movement is a ledger entry with a unique `reference`, written in the same transaction
as the balance change, so that a debit or a refund is applied at most once whatever retries
or restarts happen around it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from herald.billing import repository
from herald.billing.models import BillingAccount, LedgerEntry, Price
from herald.errors import InsufficientFunds, NotFound, ValidationFailed
from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import on_commit
from herald.kit.ids import new_id

ANY = "*"
# Seed 003's words for a refused batch; every other refusal says what it refused.
INSUFFICIENT_FUNDS_MESSAGE = (
    "Your account balance is too low to process this batch request. Please top up your credits."
)
LOW_BALANCE_MESSAGE = "Your account balance is too low to pay for this. Please top up your credits."


@dataclass(frozen=True, slots=True)
class Refund:
    """Give back `amount` for the thing named by `reference` (e.g. a failed message)."""

    billing_account_id: uuid.UUID
    amount: int
    reference: str
    description: str


def open_account(
    session: Session, clock: Clock, organization_id: uuid.UUID, currency: str = "USD"
) -> BillingAccount:
    now = clock.now()
    account = BillingAccount(
        id=new_id(),
        organization_id=organization_id,
        currency=currency,
        balance_micros=0,
        created_at=now,
        updated_at=now,
    )
    repository.add_account(session, account)
    return account


def account_of(session: Session, organization_id: uuid.UUID) -> BillingAccount:
    account = repository.first_account_of(session, organization_id)
    if account is None:
        raise NotFound("The organization has no billing account.")
    return account


def get_account(session: Session, account_id: uuid.UUID) -> BillingAccount:
    account = repository.get_account(session, account_id)
    if account is None:
        raise NotFound("The billing account does not exist.")
    return account


def top_up(
    session: Session, clock: Clock, account_id: uuid.UUID, amount: int, description: str
) -> BillingAccount:
    if amount <= 0:
        raise ValidationFailed({"amount": "A top-up must be a positive amount."})
    account = get_account(session, account_id)
    now = clock.now()
    repository.deposit(session, account_id, amount, now)
    repository.insert_entries(
        session, [_entry(account_id, "TOPUP", amount, f"topup:{new_id()}", description, now)]
    )
    session.refresh(account)
    return account


def debit(
    session: Session,
    clock: Clock,
    account_id: uuid.UUID,
    amount: int,
    reference: str,
    description: str,
) -> None:
    """Take `amount` once for `reference`; InsufficientFunds leaves everything unchanged."""
    if amount <= 0:
        return
    if repository.existing_references(session, [reference]):
        return
    now = clock.now()
    if not repository.withdraw(session, account_id, amount, now):
        raise InsufficientFunds(LOW_BALANCE_MESSAGE)
    repository.insert_entries(
        session, [_entry(account_id, "DEBIT", -amount, reference, description, now)]
    )
    on_commit(session, lambda: _count_debit(amount))


def refund(session: Session, clock: Clock, refunds: Iterable[Refund]) -> int:
    """Apply each refund whose reference was never refunded before; return how many."""
    wanted = {r.reference: r for r in reversed(list(refunds)) if r.amount > 0}
    done = repository.existing_references(session, list(wanted))
    todo = [r for ref, r in wanted.items() if ref not in done]
    if not todo:
        return 0
    now = clock.now()
    per_account: dict[uuid.UUID, int] = defaultdict(int)
    for item in todo:
        per_account[item.billing_account_id] += item.amount
    for account_id, total in sorted(per_account.items()):
        repository.deposit(session, account_id, total, now)
    repository.insert_entries(
        session,
        [
            _entry(r.billing_account_id, "REFUND", r.amount, r.reference, r.description, now)
            for r in todo
        ],
    )
    on_commit(session, lambda: _count_refunds(len(todo), sum(per_account.values())))
    return len(todo)


# Counted once the money has really moved: a transaction that rolls back counts nothing.
def _count_debit(amount: int) -> None:
    metrics.wallet_debits.inc()
    metrics.wallet_debited_micros.inc(amount)


def _count_refunds(count: int, amount: int) -> None:
    metrics.wallet_refunds.inc(count)
    metrics.wallet_refunded_micros.inc(amount)


def ledger_balances(session: Session, account_id: uuid.UUID) -> bool:
    """True when the balance equals the sum of the ledger (an audit check)."""
    return get_account(session, account_id).balance_micros == repository.ledger_sum(
        session, account_id
    )


def ledger(session: Session, account_id: uuid.UUID, limit: int = 50) -> list[LedgerEntry]:
    return repository.list_entries(session, account_id, limit)


def _entry(
    account_id: uuid.UUID, kind: str, amount: int, reference: str, description: str, now: object
) -> dict[str, object]:
    return {
        "id": new_id(),
        "billing_account_id": account_id,
        "kind": kind,
        "amount_micros": amount,
        "reference": reference,
        "description": description[:200],
        "created_at": now,
    }


class PriceList:
    """The unit prices of one channel, most specific match first:
    (country, carrier), then (country, any carrier), then (any, any)."""

    def __init__(self, prices: Iterable[Price]) -> None:
        self._prices = {(p.country_alpha2, p.carrier): p.price_micros for p in prices}

    @classmethod
    def load(cls, session: Session, channel_type: str) -> PriceList:
        return cls(repository.all_prices(session, channel_type))

    def highest_unit_price(self, country_alpha2: str | None) -> int:
        """The most any carrier of the country costs: an upper bound for estimates."""
        country = country_alpha2 or ANY
        in_country = [p for (c, _), p in self._prices.items() if c == country]
        return max(in_country) if in_country else self._prices.get((ANY, ANY), 0)

    def unit_price(self, country_alpha2: str | None, carrier: str) -> int:
        country = country_alpha2 or ANY
        for key in ((country, carrier), (country, ANY), (ANY, ANY)):
            price = self._prices.get(key)
            if price is not None:
                return price
        return 0


def set_price(
    session: Session,
    clock: Clock,
    *,
    channel_type: str,
    country_alpha2: str,
    carrier: str,
    price_micros: int,
) -> Price:
    if price_micros < 0:
        raise ValidationFailed({"price": "A price cannot be negative."})
    country, carrier = country_alpha2.upper(), carrier.upper()
    price = repository.find_price(session, channel_type, country, carrier)
    if price is None:
        price = Price(
            id=new_id(),
            channel_type=channel_type,
            country_alpha2=country,
            carrier=carrier,
            price_micros=price_micros,
            updated_at=clock.now(),
        )
        repository.add_price(session, price)
    else:
        price.price_micros = price_micros
        price.updated_at = clock.now()
    return price


def list_prices(session: Session) -> list[Price]:
    return repository.list_prices(session)
