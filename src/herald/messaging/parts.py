"""The book of parts: what each carrier took (an SMS segment, a WhatsApp or email message)
under which carrier id, what its receipt said, and how often it went out again after a try
whose outcome was unknown (the rare duplicate a handset may show).

Dispatch writes it from the providers' answers, in the transaction that marks the message
SENT; settle fills in the receipts; a message tried again reads from it which parts the
carrier already has (`Submission.sent_parts`), so that they are not sent twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from herald.messaging import repository
from herald.providers.base import SentPart, SubmitResult


@dataclass(frozen=True, slots=True)
class PartView:
    part_number: int
    parts_total: int
    carrier_message_id: str | None  # the part's provider_message_id
    status: str | None  # from its receipt
    error_code: str | None
    resends: int


def record(
    session: Session,
    provider_name: str,
    results: Sequence[SubmitResult],
    parts_total: dict[uuid.UUID, int],
    now: datetime,
) -> dict[str, tuple[uuid.UUID, int]]:
    """Write the parts of these answers; return carrier id -> (message id, part number).
    `parts_total` is each message's count of parts, for answers that carry only some."""
    rows = [
        {
            "message_id": part.message_id,
            "part_number": part.part_number,
            "parts_total": max(len(result.parts), parts_total.get(result.message_id, 1)),
            "provider_name": provider_name,
            "provider_message_id": part.provider_message_id,
            "status": None,
            "error_code": None,
            "resends": int(part.resent),
            "updated_at": now,
        }
        for result in results
        for part in result.parts
    ]
    repository.upsert_parts(session, rows)
    return {row["provider_message_id"]: (row["message_id"], row["part_number"]) for row in rows}  # type: ignore[misc]


def sent_parts(
    session: Session, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[SentPart, ...]]:
    """The parts carriers took on earlier tries of these messages."""
    return {
        message_id: tuple(SentPart(message_id, r.part_number, r.provider_message_id) for r in rows)
        for message_id, rows in repository.parts_of(session, message_ids).items()
    }


def parts_of(session: Session, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[PartView]]:
    """The parts of each message, in order."""
    return {
        message_id: [
            PartView(
                r.part_number,
                r.parts_total,
                r.provider_message_id,
                r.status,
                r.error_code,
                r.resends,
            )
            for r in rows
        ]
        for message_id, rows in repository.parts_of(session, message_ids).items()
    }


def resends(session: Session, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Parts sent again, per message, for the messages that had any."""
    counts = {
        id: sum(p.resends for p in parts) for id, parts in parts_of(session, message_ids).items()
    }
    return {id: n for id, n in counts.items() if n}
