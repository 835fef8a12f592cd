"""Resend planning and the answer a message gets from the answers of its parts.

A message tried again comes with the parts the carrier already took (`sent_parts`, from the
book): only the others are sent. A part is counted as resent (metric and the part's
`resends`) when it goes out again after a try whose outcome is unknown: it went out and got
no answer here, or another process tried the message and died before recording anything.

The outcome of a message, from its parts' answers:
- every part accepted                   -> ACCEPTED with every part's carrier id
- a part refused for good               -> REJECTED with the SMPP status as error code
- a part throttled (RTHROTTLED/RMSGQFUL) -> RETRY later, with the parts accepted so far
- a part without answer or never sent   -> RETRY (the book keeps the accepted parts)
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from herald.providers.base import SentPart, Submission, SubmitOutcome, SubmitResult
from herald.providers.smpp import codec
from herald.providers.smpp.segments import Part, segment

# Messages remembered as tried here (their parts in doubt), oldest forgotten first.
_REMEMBERED = 100_000


@dataclass(frozen=True, slots=True)
class Answer:
    carrier_id: str | None = None  # set when accepted
    status: int | None = None  # SMPP status of a refusal
    sent: bool = True  # False: the part never left

    @property
    def in_doubt(self) -> bool:
        return self.sent and self.carrier_id is None and self.status is None


NOT_SENT = Answer(sent=False)
IN_DOUBT = Answer()


@dataclass(slots=True)
class Plan:
    """One message: its parts, those the carrier took on earlier tries, and the answers of
    those sent now (in `to_send` order) as they arrive."""

    submission: Submission
    parts: list[Part]
    accepted: dict[int, str] = field(default_factory=dict)
    to_send: list[Part] = field(default_factory=list)
    answers: list[Answer | None] = field(default_factory=list)
    waiting: int = 0  # parts on the wire without an answer yet
    wired: int = 0  # parts that went on the wire this try
    sending: bool = True  # parts still to go out
    concluded: bool = False

    @property
    def message_id(self) -> uuid.UUID:
        return self.submission.message_id

    @property
    def complete(self) -> bool:
        return not self.sending and self.waiting == 0 and not self.concluded


class Resends:
    """What this process knows of earlier tries: messages it answered RETRY, and which of
    their parts went out without an answer."""

    def __init__(self) -> None:
        self._doubt: OrderedDict[uuid.UUID, frozenset[int]] = OrderedDict()

    def plan(self, submission: Submission) -> Plan:
        parts = segment(submission.message_id, submission.text)
        accepted = {p.part_number: p.provider_message_id for p in submission.sent_parts}
        to_send = [p for p in parts if p.number not in accepted]
        return Plan(submission, parts, accepted, to_send, [None] * len(to_send))

    def resent(self, plan: Plan, part: Part) -> bool:
        """Whether sending this part now may give the carrier a second copy."""
        if plan.submission.attempt <= 1:
            return False
        doubt = self._doubt.get(plan.message_id)
        return doubt is None or part.number in doubt

    def remember(self, plan: Plan) -> None:
        """After a RETRY: which parts went out without an answer."""
        doubt = frozenset(
            part.number
            for part, answer in zip(plan.to_send, plan.answers, strict=True)
            if answer is not None and answer.in_doubt
        )
        self._doubt[plan.message_id] = doubt
        self._doubt.move_to_end(plan.message_id)
        while len(self._doubt) > _REMEMBERED:
            self._doubt.popitem(last=False)

    def forget(self, plan: Plan) -> None:
        self._doubt.pop(plan.message_id, None)


THROTTLE_PAUSE_MIN = 0.2
THROTTLE_PAUSE_MAX = 5.0


def conclude(plan: Plan, resent: set[int], throttle_pause: float) -> SubmitResult:
    """The message's answer; `resent`: numbers of parts sent now that may be duplicates.
    A throttled message is tried again after the connection's current pause."""
    message_id = plan.message_id
    refused: int | None = None
    throttled = False
    for part, answer in zip(plan.to_send, plan.answers, strict=True):
        if answer is None or answer.status is None:
            if answer is not None and answer.carrier_id is not None:
                plan.accepted[part.number] = answer.carrier_id
        elif answer.status in codec.TEMPORARY_STATUSES:
            throttled = True
        elif refused is None:
            refused = answer.status
    if refused is not None:
        return SubmitResult(
            message_id, SubmitOutcome.REJECTED, error_code=codec.status_name(refused)
        )
    parts = tuple(
        SentPart(message_id, number, ref, resent=number in resent)
        for number, ref in sorted(plan.accepted.items())
    )
    if len(plan.accepted) == len(plan.parts):
        return SubmitResult(message_id, SubmitOutcome.ACCEPTED, parts)
    retry_after = max(throttle_pause, THROTTLE_PAUSE_MIN) if throttled else 1.0
    return SubmitResult(message_id, SubmitOutcome.RETRY, parts, retry_after_seconds=retry_after)
