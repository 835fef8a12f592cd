"""Paying for a batch of outreach messages from the wallets.

One ledger debit per wallet covers the whole batch (refunds stay per message, as for every
message). If a wallet cannot cover the batch, its messages are debited one at a time in
order, and those it cannot pay for are handed back.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.errors import InsufficientFunds
from herald.kit.clock import Clock
from herald.kit.ids import new_id


@dataclass(frozen=True, slots=True)
class Charge:
    billing_account_id: uuid.UUID
    message: dict[str, Any]  # the message row (its id, cost and number)


def charge(session: Session, clock: Clock, charges: Sequence[Charge]) -> set[uuid.UUID]:
    """Debit the charges; return the ids of the messages paid for."""
    by_account: dict[uuid.UUID, list[Charge]] = defaultdict(list)
    for item in charges:
        by_account[item.billing_account_id].append(item)
    paid: set[uuid.UUID] = set()
    for account_id, items in sorted(by_account.items()):
        paid |= _charge_account(session, clock, account_id, items)
    return paid


def _charge_account(
    session: Session, clock: Clock, account_id: uuid.UUID, items: list[Charge]
) -> set[uuid.UUID]:
    total = sum(item.message["cost_micros"] for item in items)
    try:
        billing.debit(
            session,
            clock,
            account_id,
            total,
            f"debit:outreach:{new_id()}",
            f"Outreach messages ({len(items)})",
        )
        return {item.message["id"] for item in items}
    except InsufficientFunds:
        return _one_by_one(session, clock, account_id, items)


def _one_by_one(
    session: Session, clock: Clock, account_id: uuid.UUID, items: list[Charge]
) -> set[uuid.UUID]:
    paid: set[uuid.UUID] = set()
    for item in items:
        message = item.message
        try:
            billing.debit(
                session,
                clock,
                account_id,
                message["cost_micros"],
                f"debit:message:{message['id']}",
                f"Outreach message to {message['e164_format']}",
            )
        except InsufficientFunds:
            continue
        paid.add(message["id"])
    return paid
