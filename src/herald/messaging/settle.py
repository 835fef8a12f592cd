"""Settlement: messages reach their final state (from a receipt, a rejection or a cancel),
failed ones are refunded exactly once, and finished campaigns are completed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.kit.ids import new_id
from herald.messaging import events, repository
from herald.messaging.models import REFUNDABLE_STATUSES
from herald.messaging.repository import Settled
from herald.providers.base import Receipt


def finish(
    session: Session,
    clock: Clock,
    outcomes: Iterable[tuple[uuid.UUID, str, str | None]],
    *,
    only_unleased: bool = False,
    only_pending: bool = False,
) -> list[Settled]:
    """Apply (message id, final status, error code) to open messages and refund failures."""
    groups: dict[tuple[str, str | None], list[uuid.UUID]] = defaultdict(list)
    for message_id, status, error_code in outcomes:
        groups[(status, error_code)].append(message_id)
    now = clock.now()
    settled: list[Settled] = []
    for (status, error_code), ids in groups.items():
        settled += repository.settle(
            session,
            ids,
            status,
            error_code,
            now,
            only_unleased=only_unleased,
            only_pending=only_pending,
        )
    refund_failed(session, clock, settled)
    events.messages_changed(session, now, [m.id for m in settled])
    return settled


def refund_failed(session: Session, clock: Clock, settled: Sequence[Settled]) -> None:
    billing.refund(
        session,
        clock,
        (
            billing.Refund(
                m.billing_account_id,
                m.cost_micros,
                f"refund:message:{m.id}",
                f"Refund of message {m.id} ({m.status})",
            )
            for m in settled
            if m.status in REFUNDABLE_STATUSES
        ),
    )


def record_receipts(db: Database, clock: Clock, receipts: Sequence[Receipt]) -> None:
    """The sink providers report receipts to. A receipt for a message whose submit is not
    recorded yet is kept as an orphan and applied when the submit is recorded."""
    with db.transaction() as session:
        apply_receipts(session, clock, receipts)


def apply_receipts(session: Session, clock: Clock, receipts: Sequence[Receipt]) -> None:
    """record_receipts in the caller's transaction: for a provider that keeps books of its
    own in the database and settles in the transaction that updates them."""
    by_provider: dict[str, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        by_provider[receipt.provider_name].append(receipt)
    for provider_name, items in by_provider.items():
        _apply(session, clock, provider_name, items)


def _apply(session: Session, clock: Clock, provider_name: str, receipts: list[Receipt]) -> None:
    # Without this, on PostgreSQL a receipt and the record of its submit can commit side by
    # side, each unseen by the other: the receipt becomes an orphan nobody adopts.
    repository.serialize_receipts(session, provider_name)
    refs = [r.provider_message_id for r in receipts]
    known = repository.message_ids_by_provider_ref(session, provider_name, refs)
    outcomes = [
        (known[r.provider_message_id], str(r.status), r.error_code)
        for r in receipts
        if r.provider_message_id in known
    ]
    finish(session, clock, outcomes)
    orphans = [_orphan_row(r) for r in receipts if r.provider_message_id not in known]
    repository.add_orphan_receipts(session, orphans)


def _orphan_row(receipt: Receipt) -> dict[str, object]:
    return {
        "id": new_id(),
        "provider_name": receipt.provider_name,
        "provider_message_id": receipt.provider_message_id,
        "status": str(receipt.status),
        "error_code": receipt.error_code,
        "received_at": receipt.occurred_at,
    }


def adopt_orphans(
    session: Session, clock: Clock, provider_name: str, sent: dict[str, uuid.UUID]
) -> None:
    """Apply receipts that arrived before the submits (provider ref -> message id) we just
    recorded."""
    orphans = repository.take_orphan_receipts(session, provider_name, list(sent))
    finish(session, clock, [(sent[o.provider_message_id], o.status, o.error_code) for o in orphans])


def adopt_stranded_orphans(db: Database, clock: Clock) -> int:
    """Apply orphan receipts whose submit turned out to be recorded. On PostgreSQL a receipt
    and the record of its submit can each commit unseen by the other (the receipt found no
    message, the submit found no orphan yet); this sweep, run when dispatch is idle, makes
    sure such a receipt is applied anyway. Returns how many were applied."""
    with db.reading() as session:
        if not repository.any_stranded_orphans(session):
            return 0
    with db.transaction() as session:
        outcomes = repository.take_stranded_orphans(session)
        finish(session, clock, outcomes)
    return len(outcomes)


def complete_finished(
    session: Session, campaign_ids: Iterable[uuid.UUID | None], now: datetime
) -> None:
    completed = repository.complete_campaigns(
        session, {c for c in campaign_ids if c is not None}, now
    )
    events.campaigns_changed(session, now, completed)
