"""The small interface every voice provider implements (the built-in simulator today; a SIP
trunk or a CPaaS HTTP API later).

The dialer hands a provider batches of calls to place. The provider answers at once for
each call (accepted with its own call id, refused for good, or "try again later"), then
reports what happens on the line (ringing, answered, ended) as `CallEvent`s through the
sink it was given at start. Events name our call id, which the provider carries along
(a CPaaS "client state" or a SIP header), so an event can never be orphaned by a slow
answer to `place`. The provider runs the agent's script on the line and reports the
outcome; the dialer never needs to know how.

After a crash, the restarted process asks the provider what became of the calls it had on
the line (`recover`) before it places any new call: see `CallFate`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    prompt: str
    answer_type: str  # "dtmf" (a key press) or "speech"
    choices: Mapping[str, str] = field(default_factory=dict)  # answer -> meaning


@dataclass(frozen=True, slots=True)
class CallScript:
    greeting: str
    message: str
    language: str = "en-US"
    voice: str | None = None
    questions: Sequence[Question] = ()
    voicemail_action: str = "hang_up"  # or "leave_message"
    voicemail_message: str | None = None
    outcome_labels: Sequence[str] = ()
    # Set when the caller's own agent talks on the line over a WebSocket (the audio bridge).
    bridge_url: str | None = None


@dataclass(frozen=True, slots=True)
class CallRequest:
    call_id: uuid.UUID  # ours; echoed back in every event
    to_number: str  # E.164
    from_number: str  # E.164 caller id
    script: CallScript
    max_duration_seconds: int  # the provider hangs up when the conversation reaches it
    attempt: int = 1
    group: str = ""  # opaque to the provider (our campaign id); shown in its call records
    record: bool = False  # record the answered call (both directions) when the provider can
    variables: Mapping[str, Any] = field(default_factory=dict)  # the lead's fields


class PlaceOutcome(enum.StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"  # permanent for this attempt (invalid number, refused caller id)
    RETRY = "RETRY"  # temporary (trunk full, rate limited): not an attempt, try later


@dataclass(frozen=True, slots=True)
class PlaceResult:
    call_id: uuid.UUID
    outcome: PlaceOutcome
    provider_call_id: str | None = None
    error_code: str | None = None
    retry_after_seconds: float | None = None


class CallEventKind(enum.StrEnum):
    RINGING = "RINGING"
    ANSWERED = "ANSWERED"
    ENDED = "ENDED"


class EndReason(enum.StrEnum):
    COMPLETED = "COMPLETED"  # answered and the conversation ended
    BUSY = "BUSY"
    NO_ANSWER = "NO_ANSWER"
    FAILED = "FAILED"


class AnsweredBy(enum.StrEnum):
    HUMAN = "human"
    MACHINE = "machine"


@dataclass(frozen=True, slots=True)
class CallEvent:
    provider_name: str
    call_id: uuid.UUID
    provider_call_id: str
    kind: CallEventKind
    occurred_at: datetime
    # Set on ANSWERED and ENDED when the call was answered.
    answered_by: AnsweredBy | None = None
    # Set on ENDED only.
    end_reason: EndReason | None = None
    talk_seconds: int = 0  # from answer to hang-up; what is billed
    outcome: str | None = None  # one of the script's outcome labels
    answers: Mapping[str, str] = field(default_factory=dict)  # question key -> answer
    error_code: str | None = None
    recording_seconds: int | None = None  # the call was recorded (recordings/<call_id>.wav)
    # Set on ENDED when the carrier refused the call for now after first taking it (a 503
    # after 100 Trying or 180 Ringing): no attempt, as PlaceOutcome.RETRY; try again after.
    retry_after_seconds: float | None = None


def recording_path(data_dir: Path, call_id: uuid.UUID | str) -> Path:
    """Where a provider writes the recording of a call (CallEvent.recording_seconds set), and
    where the API serves it from."""
    return data_dir / "recordings" / f"{call_id}.wav"


# Called by a provider with events; returns once they are durably recorded.
CallEventSink = Callable[[Sequence[CallEvent]], None]


@dataclass(frozen=True, slots=True)
class CallRef:
    """A call this node had on the line when it stopped, as our records know it."""

    call_id: uuid.UUID
    provider_call_id: str | None  # None: the crash came before place() answered was recorded
    to_number: str
    from_number: str
    placed_at: datetime


class FateKind(enum.StrEnum):
    # Still on the line: the provider re-attached to it (or hung it up) and reports what
    # happens next through the sink, as for any call, its end included.
    UP = "UP"
    # It ended: `events` say what the provider knows, an ENDED event last.
    ENDED = "ENDED"
    # The provider has no such call (any more) and knows nothing of it: it is not on the line.
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class CallFate:
    call_id: uuid.UUID
    kind: FateKind
    # What happened that the sink may not have recorded (e.g. ANSWERED on a call still UP,
    # the ENDED event of one that ended); applied exactly as if reported through the sink.
    events: Sequence[CallEvent] = ()


class VoiceProvider(Protocol):
    name: str

    def start(self, events: CallEventSink) -> None: ...

    def place(self, calls: Sequence[CallRequest]) -> list[PlaceResult]: ...

    def hang_up(self, call_ids: Sequence[uuid.UUID]) -> None:
        """End these calls now (a BYE when answered, a CANCEL while ringing), as when their
        campaign is cancelled; each end is reported through the sink as usual. Calls the
        provider does not carry (any more) are ignored."""
        ...

    def recover(self, calls: Sequence[CallRef]) -> list[CallFate]:
        """What became of calls placed before this process restarted; called after start()
        and before any place(). One fate per call; a call left out, or an exception, leaves
        those calls to their lease (they are presumed lost when it runs out)."""
        ...

    def stop(self) -> None: ...
