"""What became of each part of messages sent over SMPP, for people who look (support, the
dashboard): the carrier id of each part, its receipt, and how often it was sent again
because an earlier submit_sm went unanswered (the rare duplicate a handset may show)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from herald.providers.smpp import repository


@dataclass(frozen=True, slots=True)
class PartView:
    part_number: int
    parts_total: int
    carrier_message_id: str | None  # None while its submit_sm has no known answer
    status: str | None  # from its receipt
    error_code: str | None
    resends: int


def parts_of(session: Session, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[PartView]]:
    """The parts of each message, in order; messages sent by other providers have none."""
    return {
        message_id: [
            PartView(
                r.part_number,
                r.parts_total,
                r.carrier_message_id,
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
