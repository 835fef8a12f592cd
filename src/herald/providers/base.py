"""The one small interface every carrier connection implements, whatever the channel
(SMS over SMPP or the simulator, WhatsApp, email).

The engine hands a provider batches of submissions; the provider answers in groups, as
the carrier's answers arrive, with the parts it handed over and their carrier ids
(`SentPart`: an SMS segment, a WhatsApp or email message), and dispatch records each group
in one transaction. Everything the far side reports later (receipts) comes back through the
sink given at start. Nothing else crosses this line.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Submission:
    message_id: uuid.UUID
    destination: str  # E.164 (SMS, WhatsApp); the address on channels that have their own
    sender: str
    text: str
    # 1 on the first try; more when an earlier try's outcome is unknown (crash, lost link).
    attempt: int = 1
    channel_type: str = "SMS"  # the message's channel_type: SMS, WHATSAPP, EMAIL
    # What the channel needs beyond the text (a WhatsApp template, an email's subject and
    # thread headers): the message's `payload`, as stored. Empty for SMS.
    payload: Mapping[str, Any] = field(default_factory=dict)
    # Parts the carrier took on earlier tries (from the book): not to be sent again.
    sent_parts: tuple[SentPart, ...] = ()


class SubmitOutcome(enum.StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"  # permanent: the carrier will never take this message
    RETRY = "RETRY"  # temporary (throttled, queue full): try the same message again later


@dataclass(frozen=True, slots=True)
class SentPart:
    """One unit the carrier took and gave an id to; receipts name that id."""

    message_id: uuid.UUID
    part_number: int  # 1-based; a channel without parts sends part 1 only
    provider_message_id: str
    # Sent again after a try whose outcome is unknown (no answer, or a crash): the carrier
    # may have it twice. Counted in the part's `resends`.
    resent: bool = False


@dataclass(frozen=True, slots=True)
class SubmitResult:
    message_id: uuid.UUID
    outcome: SubmitOutcome
    # ACCEPTED: every part the carrier took, in order. RETRY: the parts taken so far (they
    # come back in Submission.sent_parts and are not sent again).
    parts: tuple[SentPart, ...] = ()
    error_code: str | None = None
    retry_after_seconds: float | None = None

    @classmethod
    def accepted(cls, message_id: uuid.UUID, *provider_message_ids: str) -> SubmitResult:
        """An accepted message whose parts got these carrier ids, in order."""
        parts = tuple(
            SentPart(message_id, number, ref)
            for number, ref in enumerate(provider_message_ids, start=1)
        )
        return cls(message_id, SubmitOutcome.ACCEPTED, parts)

    @property
    def provider_message_id(self) -> str | None:
        """The first part's carrier id: the one the message is known by."""
        return self.parts[0].provider_message_id if self.parts else None


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
    # Other spellings of the same carrier id (an SMSC may write it in hex or in decimal):
    # the receipt matches a part known under any of them.
    aliases: tuple[str, ...] = ()


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

    def submit(self, batch: Sequence[Submission]) -> Iterable[Sequence[SubmitResult]]:
        """Hand the batch over; yield the answers in groups as they arrive (each group is
        recorded in one transaction, so a crash loses at most the group in hand). Every
        submission of the batch is answered exactly once."""
        ...

    def stop(self) -> None: ...
