"""The one small interface every carrier connection implements.

The engine hands a provider batches of submissions and receives, through a sink given at
start, the delivery receipts the carrier sends back later. Nothing else crosses this line.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Submission:
    message_id: uuid.UUID
    destination: str  # E.164
    sender: str
    text: str
    # 1 on the first try; more when an earlier try's outcome is unknown (crash, lost link).
    attempt: int = 1


class SubmitOutcome(enum.StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"  # permanent: the carrier will never take this message
    RETRY = "RETRY"  # temporary (throttled, queue full): try the same message again later


@dataclass(frozen=True, slots=True)
class SubmitResult:
    message_id: uuid.UUID
    outcome: SubmitOutcome
    provider_message_id: str | None = None
    error_code: str | None = None
    retry_after_seconds: float | None = None


class ReceiptStatus(enum.StrEnum):
    """Final states a carrier reports; the same names as the message statuses."""

    DELIVERED = "DELIVERED"
    UNDELIVERED = "UNDELIVERED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Receipt:
    provider_name: str
    provider_message_id: str
    status: ReceiptStatus
    error_code: str | None
    occurred_at: datetime


# Called by a provider with receipts; returns once they are durably recorded.
ReceiptSink = Callable[[Sequence[Receipt]], None]


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message a person sent to one of our numbers or sender IDs (mobile-originated)."""

    provider_name: str
    from_number: str  # as the carrier wrote it: E.164 with or without '+', or a local form
    to_number: str  # the number or sender ID they wrote to
    text: str
    received_at: datetime


# Called by a provider with inbound messages; returns once they are durably recorded.
# Stores inbound messages in the caller's transaction: a carrier connection acknowledges them
# only once that transaction has committed.
InboundSink = Callable[["Session", Sequence[Inbound]], None]


class Provider(Protocol):
    name: str

    def start(self, receipts: ReceiptSink) -> None: ...

    def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]: ...

    def stop(self) -> None: ...
