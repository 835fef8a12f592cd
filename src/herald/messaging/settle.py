"""Settlement: messages reach their final state (from a receipt, a rejection or a cancel),
failed ones are refunded exactly once, and finished campaigns are completed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.kit.ids import new_id
from herald.messaging import events, repository
from herald.messaging.models import REFUNDABLE_STATUSES
from herald.messaging.repository import Settled
from herald.providers.base import Receipt

log = structlog.get_logger(__name__)


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
    """The sink every provider reports receipts to (returns once they are committed)."""
    with db.transaction() as session:
        apply_receipts(session, clock, receipts)


def apply_receipts(session: Session, clock: Clock, receipts: Sequence[Receipt]) -> None:
    """Match each receipt to its part; keep those whose part is not recorded yet as early
    receipts, applied when it is (`match_early_receipts`)."""
    by_provider: dict[str, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        by_provider[receipt.provider_name].append(receipt)
    for provider_name, items in by_provider.items():
        _apply(session, clock, provider_name, items)


def _apply(session: Session, clock: Clock, provider_name: str, receipts: list[Receipt]) -> None:
    repository.serialize_receipts(session, provider_name)  # see its docstring
    wanted = {ref for r in receipts for ref in _spellings(r)}
    owners = _owners(repository.parts_by_refs(session, provider_name, wanted))
    updates: list[PartOutcome] = []
    single: list[tuple[uuid.UUID, str, str | None]] = []
    early: list[dict[str, object]] = []
    for receipt in receipts:
        owner = next((owners[ref] for ref in _spellings(receipt) if ref in owners), None)
        if owner is None:
            early += _early_rows(receipt)
            continue
        status = str(receipt.status)
        updates.append((owner.message_id, owner.part_number, status, receipt.error_code))
        if owner.parts_total == 1:  # the usual case: the part's receipt is the message's
            single.append((owner.message_id, status, receipt.error_code))
    repository.add_early_receipts(session, early)
    repository.set_part_statuses(session, updates, clock.now())
    multipart = {m for m, _, _, _ in updates} - {m for m, _, _ in single}
    finish(session, clock, [*single, *_whole_outcomes(session, multipart)])


# (message id, part number, status, error code) from one receipt
PartOutcome = tuple[uuid.UUID, int, str, str | None]

_GRAVITY = ("REJECTED", "UNDELIVERED", "EXPIRED", "FAILED")


def _spellings(receipt: Receipt) -> tuple[str, ...]:
    return (receipt.provider_message_id, *receipt.aliases)


def _owners(rows: Sequence[Any]) -> dict[str, Any]:
    # A carrier may reuse ids over time: prefer the part still waiting for its receipt.
    return {row.provider_message_id: row for row in sorted(rows, key=lambda r: r.status is None)}


def _early_rows(receipt: Receipt) -> list[dict[str, object]]:
    receipt_id = new_id()
    return [
        {
            "id": new_id(),
            "receipt_id": receipt_id,
            "provider_name": receipt.provider_name,
            "provider_message_id": ref,
            "status": str(receipt.status),
            "error_code": receipt.error_code,
            "received_at": receipt.occurred_at,
        }
        for ref in dict.fromkeys(_spellings(receipt))
    ]


def _whole_outcomes(
    session: Session, message_ids: set[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str | None]]:
    """Outcomes of the messages among `message_ids` whose every part has its receipt:
    DELIVERED only when every part is, else the gravest state among the parts."""
    found = []
    for message_id, rows in repository.parts_of(session, message_ids).items():
        if len(rows) < rows[0].parts_total or any(r.status is None for r in rows):
            continue
        errors = {r.status: r.error_code for r in reversed(rows)}
        grave = next((s for s in _GRAVITY if s in errors), None)
        found.append((message_id, grave or "DELIVERED", errors.get(grave) if grave else None))
    return found


def settle_parts(session: Session, clock: Clock, updates: Sequence[PartOutcome]) -> None:
    """Record part receipts and settle the messages they complete."""
    repository.set_part_statuses(session, updates, clock.now())
    finish(session, clock, _whole_outcomes(session, {m for m, _, _, _ in updates}))


def match_early_receipts(
    session: Session, clock: Clock, provider_name: str, recorded: dict[str, tuple[uuid.UUID, int]]
) -> None:
    """Apply early receipts to the parts just recorded (carrier id -> message id, part)."""
    if not recorded or not repository.any_early_receipts(session, provider_name):
        return  # the usual case: a cheap look spares a query with every id in it
    taken = repository.take_early_receipts(session, provider_name, list(recorded))
    settle_parts(
        session,
        clock,
        [(*recorded[r.provider_message_id], r.status, r.error_code) for r in taken],
    )


# A receipt whose part is never recorded (a message another system sent over the same
# account, or an id the carrier garbled) is kept this long, then dropped.
EARLY_RECEIPT_KEPT = timedelta(days=7)


def sweep_early_receipts(db: Database, clock: Clock) -> int:
    """Run when dispatch is idle: apply early receipts whose part is recorded after all (a
    safety net; the receipts lock orders the two), and drop the week-old ones. Returns how
    many were applied."""
    cutoff = clock.now() - EARLY_RECEIPT_KEPT
    with db.reading() as session:
        stale = repository.any_early_receipts_before(session, cutoff)
        stranded = repository.any_stranded_receipts(session)
    if stale:
        purge_early_receipts(db, clock)
    if not stranded:
        return 0
    with db.transaction() as session:
        updates = repository.take_stranded_receipts(session)
        settle_parts(session, clock, updates)
    return len(updates)


def purge_early_receipts(db: Database, clock: Clock) -> int:
    with db.transaction() as session:
        dropped = repository.purge_early_receipts(session, clock.now() - EARLY_RECEIPT_KEPT)
    if dropped:
        log.warning("settle.unmatched_receipts_dropped", count=dropped)
    return dropped
