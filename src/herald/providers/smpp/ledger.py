"""Bookkeeping of message parts: which carrier id belongs to which part of which message,
what each part's receipt said, and when a whole message has its outcome.

A message's outcome is derived from all its parts: DELIVERED only when every part is; else
the gravest state among its parts (REJECTED, UNDELIVERED, EXPIRED, FAILED). It is reported
under the carrier id of part 1, which is the provider_message_id the message shows.
Every function here runs inside the caller's transaction; the caller marks what it returns
as reported and settles it in that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.providers.base import Receipt, ReceiptStatus
from herald.providers.smpp import repository
from herald.providers.smpp.deliveries import PartReceipt, id_candidates

log = structlog.get_logger(__name__)

_GRAVITY = (
    ReceiptStatus.REJECTED,
    ReceiptStatus.UNDELIVERED,
    ReceiptStatus.EXPIRED,
    ReceiptStatus.FAILED,
)


@dataclass(frozen=True, slots=True)
class PartSubmitted:
    """What became of one submit_sm: accepted (with the carrier's id) or in doubt."""

    message_id: uuid.UUID
    part_number: int
    parts_total: int
    carrier_message_id: str | None  # None: no answer came, the part may or may not be out
    resends: int = 0


@dataclass(frozen=True, slots=True)
class Finished:
    message_id: uuid.UUID
    receipt: Receipt


def record_submits(
    session: Session,
    clock: Clock,
    provider_name: str,
    submitted: Sequence[PartSubmitted],
    closed: Iterable[uuid.UUID] = (),
) -> list[Finished]:
    """Store what the carrier answered, close the parts of messages that ended at submit
    (`closed`), and apply receipts that had arrived before these answers."""
    now = clock.now()
    repository.upsert_parts(
        session,
        [
            {
                "message_id": s.message_id,
                "part_number": s.part_number,
                "parts_total": s.parts_total,
                "provider_name": provider_name,
                "carrier_message_id": s.carrier_message_id,
                "in_doubt": s.carrier_message_id is None,
                "resends": s.resends,
                "updated_at": now,
            }
            for s in submitted
        ],
    )
    repository.mark_reported(session, closed, now)
    owners: dict[str, tuple[uuid.UUID, int]] = {}
    for s in submitted:
        if s.carrier_message_id is not None:
            for candidate in id_candidates(s.carrier_message_id):
                owners.setdefault(candidate, (s.message_id, s.part_number))
    if not repository.has_early_receipts(session, provider_name):
        return []  # the usual case: a cheap look spares a query with every id in it
    early = repository.early_receipts(session, provider_name, owners)
    return _apply_early(session, clock, provider_name, early, owners)


def record_receipts(
    session: Session, clock: Clock, provider_name: str, receipts: Sequence[PartReceipt]
) -> list[Finished]:
    """Apply part receipts; keep those whose part is not known yet for later."""
    wanted = {c for r in receipts for c in id_candidates(r.carrier_message_id)}
    owners = _owners(repository.parts_by_carrier_ids(session, provider_name, wanted))
    updates: list[tuple[uuid.UUID, int, str, str | None]] = []
    early: list[dict[str, Any]] = []
    whole: dict[uuid.UUID, Finished] = {}  # single-part messages: the receipt is the outcome
    now = clock.now()
    for receipt in receipts:
        owner = next(
            (owners[c] for c in id_candidates(receipt.carrier_message_id) if c in owners), None
        )
        if owner is None:
            early.append(_early_row(provider_name, receipt, now))
            continue
        updates.append(
            (owner.message_id, owner.part_number, receipt.status.value, receipt.error_code)
        )
        if owner.parts_total == 1 and owner.reported_at is None:
            outcome = Receipt(
                provider_name, owner.carrier_message_id, receipt.status, receipt.error_code, now
            )
            whole[owner.message_id] = Finished(owner.message_id, outcome)
    repository.set_statuses(session, updates, now)
    repository.add_early_receipts(session, early)
    multipart = {m for m, _, _, _ in updates} - set(whole)
    return [*whole.values(), *finished(session, clock, provider_name, multipart)]


# A receipt whose part is never recorded (a message another system sent over the same
# account, or a carrier id the carrier garbled) is kept this long, then dropped.
EARLY_RECEIPT_KEPT = timedelta(days=7)


def reconcile(session: Session, clock: Clock, provider_name: str) -> list[Finished]:
    """Catch up on what concurrent processes may have left half done: early receipts whose
    part is now known, and messages whose parts all have receipts."""
    dropped = repository.purge_early_receipts(
        session, provider_name, clock.now() - EARLY_RECEIPT_KEPT
    )
    if dropped:
        log.warning("smpp.unmatched_receipts_dropped", connection=provider_name, count=dropped)
    early = repository.early_receipts(session, provider_name, None)
    wanted = {c for row in early for c in id_candidates(row.carrier_message_id)}
    rows = _owners(repository.parts_by_carrier_ids(session, provider_name, wanted))
    owners = {ref: (row.message_id, row.part_number) for ref, row in rows.items()}
    done = _apply_early(session, clock, provider_name, early, owners)
    pending = set(repository.unreported_with_receipts(session, provider_name, limit=1000))
    pending -= {f.message_id for f in done}
    return done + finished(session, clock, provider_name, pending)


def finished(
    session: Session, clock: Clock, provider_name: str, message_ids: set[uuid.UUID]
) -> list[Finished]:
    """The messages among `message_ids` whose every part has its receipt, not yet reported."""
    found = []
    for message_id, rows in repository.parts_of(session, message_ids).items():
        if any(r.reported_at is not None for r in rows):
            continue
        if len(rows) < rows[0].parts_total or any(r.status is None for r in rows):
            continue
        status, error = _outcome(rows)
        ref = rows[0].carrier_message_id
        found.append(Finished(message_id, Receipt(provider_name, ref, status, error, clock.now())))
    return found


def _outcome(rows: Sequence[Any]) -> tuple[ReceiptStatus, str | None]:
    statuses = {ReceiptStatus(r.status): r.error_code for r in reversed(rows)}
    for status in _GRAVITY:
        if status in statuses:
            return status, statuses[status]
    return ReceiptStatus.DELIVERED, None


def _owners(rows: Sequence[Any]) -> dict[str, Any]:
    # A carrier may reuse ids over time: prefer the part still waiting for its receipt.
    return {row.carrier_message_id: row for row in sorted(rows, key=lambda r: r.status is None)}


def _apply_early(
    session: Session,
    clock: Clock,
    provider_name: str,
    early: Sequence[Any],
    owners: dict[str, tuple[uuid.UUID, int]],
) -> list[Finished]:
    updates = []
    used = []
    for row in early:
        owner = next(
            (owners[c] for c in id_candidates(row.carrier_message_id) if c in owners), None
        )
        if owner is not None:
            updates.append((*owner, row.status, row.error_code))
            used.append(row.id)
    repository.set_statuses(session, updates, clock.now())
    repository.drop_early_receipts(session, used)
    return finished(session, clock, provider_name, {m for m, _, _, _ in updates})


def _early_row(provider_name: str, receipt: PartReceipt, now: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "provider_name": provider_name,
        "carrier_message_id": receipt.carrier_message_id,
        "status": receipt.status.value,
        "error_code": receipt.error_code,
        "received_at": now,
    }
