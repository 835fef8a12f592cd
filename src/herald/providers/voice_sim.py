"""A built-in voice provider that behaves like a real one: a call rings for a while, then a
person answers, a machine answers, the line is busy, nobody answers within the ring timeout,
or the network fails it; an answered call lasts a realistic time and its conversation ends
in one of the agent's outcome labels.

Everything about a call is decided by a random generator seeded with (seed, number,
attempt), so the same seed gives the same calls whatever the order or timing of dialing.
Time runs `time_scale` times real time (0.001 turns a two-minute call into 120 ms); the
times it reports are simulated ones, counted from the clock's time when the call was placed.

Numbers ending in these four digits always behave the same, for demos and tests:

    ...0900  a person answers        ...0903  the network fails the call
    ...0901  busy                    ...0904  an answering machine answers
    ...0902  nobody answers

Like a real provider's calls, its calls live in the process that placed them: after a
restart it knows none of them, and `recover` answers UNKNOWN for each (in the same process
it tells which are still up and how the others ended).

It keeps its own record of every call (when it started and ended on the line, per
`group`), which is what tests and the benchmark check the dialer's concurrency against.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    CallEventSink,
    CallFate,
    CallRef,
    CallRequest,
    EndReason,
    FateKind,
    PlaceOutcome,
    PlaceResult,
)

log = structlog.get_logger(__name__)

FORCED = {
    "0900": (EndReason.COMPLETED, AnsweredBy.HUMAN),
    "0901": (EndReason.BUSY, None),
    "0902": (EndReason.NO_ANSWER, None),
    "0903": (EndReason.FAILED, None),
    "0904": (EndReason.COMPLETED, AnsweredBy.MACHINE),
}


@dataclass(frozen=True, slots=True)
class OutcomeRates:
    """How often each thing happens to a call; the weights need not add up to one."""

    human: float = 0.50
    machine: float = 0.10
    busy: float = 0.10
    no_answer: float = 0.22
    failed: float = 0.08


@dataclass(frozen=True, slots=True)
class Timing:
    """Simulated seconds."""

    post_dial_delay: tuple[float, float] = (0.5, 2.0)  # before the far end rings
    ring: tuple[float, float] = (3.0, 15.0)  # until a person picks up
    ring_timeout: float = 30.0  # until we give up: no answer
    talk_mean: float = 75.0  # mean length of a conversation
    talk_min: float = 8.0


@dataclass(frozen=True, slots=True)
class Fate:
    """Everything that will happen to one call."""

    end_reason: EndReason
    answered_by: AnsweredBy | None
    setup_seconds: float
    ring_seconds: float
    talk_seconds: int
    outcome: str | None
    answers: dict[str, str]
    error_code: str | None


@dataclass(slots=True)
class LineRecord:
    """The simulator's own record of one call on the line (monotonic seconds)."""

    call_id: str
    group: str
    to_number: str
    placed_at: float
    ended_at: float | None = None
    end_reason: str | None = None


def decide(request: CallRequest, seed: int, rates: OutcomeRates, timing: Timing = Timing()) -> Fate:
    rng = random.Random(f"{seed}|{request.to_number}|{request.attempt}")
    reason, answered_by = FORCED.get(request.to_number[-4:], (None, None))
    if reason is None:
        reason, answered_by = _draw_outcome(rng, rates)
    setup = rng.uniform(*timing.post_dial_delay)
    if reason is EndReason.FAILED:
        return Fate(reason, None, setup, 0.0, 0, None, {}, "SIM_NETWORK_FAILURE")
    if reason is EndReason.BUSY:
        return Fate(reason, None, setup, 0.0, 0, None, {}, "SIM_BUSY")
    if reason is EndReason.NO_ANSWER:
        return Fate(reason, None, setup, timing.ring_timeout, 0, None, {}, "SIM_NO_ANSWER")
    ring = rng.uniform(*timing.ring)
    if answered_by is AnsweredBy.MACHINE:
        return _voicemail(rng, request, setup, ring)
    talk = timing.talk_min + rng.expovariate(1.0 / (timing.talk_mean - timing.talk_min))
    talk_seconds = min(math.ceil(talk), request.max_duration_seconds)
    labels = list(request.script.outcome_labels)
    outcome = rng.choice(labels) if labels else None
    answers = {
        q.key: _answer(rng, q.answer_type, list(q.choices)) for q in request.script.questions
    }
    return Fate(reason, AnsweredBy.HUMAN, setup, ring, talk_seconds, outcome, answers, None)


def _draw_outcome(rng: random.Random, rates: OutcomeRates) -> tuple[EndReason, AnsweredBy | None]:
    options = [
        ((EndReason.COMPLETED, AnsweredBy.HUMAN), rates.human),
        ((EndReason.COMPLETED, AnsweredBy.MACHINE), rates.machine),
        ((EndReason.BUSY, None), rates.busy),
        ((EndReason.NO_ANSWER, None), rates.no_answer),
        ((EndReason.FAILED, None), rates.failed),
    ]
    chosen = rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]
    return chosen[0], chosen[1]


def _voicemail(rng: random.Random, request: CallRequest, setup: float, ring: float) -> Fate:
    """A machine answers: its greeting plays (about 8 s), then we leave the message (read at
    about 15 characters a second) or hang up, as the agent says."""
    script = request.script
    talk = 8.0 + rng.uniform(0.0, 4.0)
    if script.voicemail_action == "leave_message":
        talk += len(script.voicemail_message or script.message) / 15.0
    talk_seconds = min(math.ceil(talk), request.max_duration_seconds)
    return Fate(
        EndReason.COMPLETED, AnsweredBy.MACHINE, setup, ring, talk_seconds, "voicemail", {}, None
    )


def _answer(rng: random.Random, answer_type: str, choices: list[str]) -> str:
    if choices:
        return rng.choice(choices)
    return str(rng.randint(1, 9)) if answer_type == "dtmf" else rng.choice(["yes", "no"])


class VoiceSimulator:
    def __init__(
        self,
        clock: Clock,
        *,
        name: str = "VOICE_SIM",
        seed: int = 0,
        time_scale: float = 1.0,
        rates: OutcomeRates | None = None,
        timing: Timing | None = None,
        channels: int | None = None,
        batch_window: float = 0.005,
    ) -> None:
        self.name = name
        self._clock = clock
        self._seed = seed
        self._scale = time_scale
        self._rates = rates or OutcomeRates()
        self._timing = timing or Timing()
        self._channels = channels  # like a trunk's channel count; None: unlimited
        self._batch_window = batch_window  # seconds
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._due: list[tuple[float, int, CallEvent]] = []
        self._order = itertools.count()
        self._sink: CallEventSink | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._active: dict[str, int] = defaultdict(int)
        self._peak: dict[str, int] = defaultdict(int)
        self._lines: dict[str, LineRecord] = {}
        # Per call of ours, until the sink took its end: what happens on the line
        # (monotonic time, event), for recover().
        self._plans: dict[uuid.UUID, list[tuple[float, CallEvent]]] = {}
        self.records: list[LineRecord] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, events: CallEventSink) -> None:
        self._sink = events
        self._stopping = False
        self._thread = threading.Thread(target=self._deliver_loop, name="voice-sim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- what tests and benchmarks look at ---------------------------------------------------

    def peak_in_flight(self, group: str) -> int:
        """The most calls of `group` that were on the line at the same moment."""
        with self._lock:
            return self._peak[group]

    def in_flight(self, group: str) -> int:
        with self._lock:
            return self._active[group]

    def calls_of(self, group: str) -> list[LineRecord]:
        with self._lock:
            return [r for r in self.records if r.group == group]

    # -- placing calls -----------------------------------------------------------------------

    def place(self, calls: Sequence[CallRequest]) -> list[PlaceResult]:
        now_mono = time.monotonic()
        started = self._clock.now()
        with self._lock:
            results = [self._place_one(c, now_mono, started) for c in calls]
            self._wake.notify_all()
        return results

    def _place_one(self, request: CallRequest, now_mono: float, started: datetime) -> PlaceResult:
        if self._channels is not None and sum(self._active.values()) >= self._channels:
            return PlaceResult(request.call_id, PlaceOutcome.RETRY, error_code="SIM_TRUNK_FULL")
        fate = decide(request, self._seed, self._rates, self._timing)
        provider_call_id = new_id().hex
        record = LineRecord(str(request.call_id), request.group, request.to_number, now_mono)
        self.records.append(record)
        self._lines[provider_call_id] = record
        self._active[request.group] += 1
        self._peak[request.group] = max(self._peak[request.group], self._active[request.group])
        plan = [
            (now_mono + offset * self._scale, event)
            for offset, event in self._events(request, provider_call_id, fate, started)
        ]
        self._plans[request.call_id] = plan
        for at, event in plan:
            heapq.heappush(self._due, (at, next(self._order), event))
        return PlaceResult(request.call_id, PlaceOutcome.ACCEPTED, provider_call_id)

    # -- hanging up --------------------------------------------------------------------------

    def hang_up(self, call_ids: Sequence[uuid.UUID]) -> None:
        """End these calls now: an answered one completes after the talk so far, one still
        ringing ends unanswered."""
        now_mono = time.monotonic()
        now = self._clock.now()
        with self._lock:
            ending = {id for id in call_ids if id in self._plans}
            if not ending:
                return
            self._due = [entry for entry in self._due if entry[2].call_id not in ending]
            heapq.heapify(self._due)
            for call_id in ending:
                end = self._cut_short(self._plans[call_id], now_mono, now)
                heapq.heappush(self._due, (now_mono, next(self._order), end))
            self._wake.notify_all()

    def _cut_short(
        self, plan: list[tuple[float, CallEvent]], now_mono: float, now: datetime
    ) -> CallEvent:
        happened = [(at, event) for at, event in plan if at <= now_mono]
        answered = next((at for at, e in happened if e.kind is CallEventKind.ANSWERED), None)
        last = plan[-1][1]
        if answered is None:
            end = CallEvent(
                self.name,
                last.call_id,
                last.provider_call_id,
                CallEventKind.ENDED,
                now,
                end_reason=EndReason.NO_ANSWER,
                error_code="SIM_HUNG_UP",
            )
        else:
            talk = math.ceil((now_mono - answered) / self._scale) if self._scale else 0
            end = replace(last, occurred_at=now, talk_seconds=min(talk, last.talk_seconds))
        plan[:] = [*happened, (now_mono, end)]
        return end

    # -- after a restart -------------------------------------------------------------------

    def recover(self, calls: Sequence[CallRef]) -> list[CallFate]:
        now = time.monotonic()
        with self._lock:
            return [self._fate(ref.call_id, now) for ref in calls]

    def _fate(self, call_id: uuid.UUID, now: float) -> CallFate:
        plan = self._plans.get(call_id)
        if plan is None:
            return CallFate(call_id, FateKind.UNKNOWN)
        happened = tuple(event for at, event in plan if at <= now)
        if happened and happened[-1].kind is CallEventKind.ENDED:
            return CallFate(call_id, FateKind.ENDED, happened)
        return CallFate(call_id, FateKind.UP, happened)

    def _events(
        self, request: CallRequest, ref: str, fate: Fate, started: datetime
    ) -> list[tuple[float, CallEvent]]:
        """(simulated seconds after placing, event) for everything the call will report."""
        ringing = fate.setup_seconds
        answered = ringing + fate.ring_seconds
        ended = answered + fate.talk_seconds

        def at(offset: float) -> datetime:
            return started + timedelta(seconds=offset)

        plan: list[tuple[float, CallEvent]] = []
        if fate.end_reason in (EndReason.NO_ANSWER, EndReason.COMPLETED):
            event = CallEvent(self.name, request.call_id, ref, CallEventKind.RINGING, at(ringing))
            plan.append((ringing, event))
        if fate.answered_by is not None:
            event = CallEvent(
                self.name,
                request.call_id,
                ref,
                CallEventKind.ANSWERED,
                at(answered),
                answered_by=fate.answered_by,
            )
            plan.append((answered, event))
        end = CallEvent(
            self.name,
            request.call_id,
            ref,
            CallEventKind.ENDED,
            at(ended),
            answered_by=fate.answered_by,
            end_reason=fate.end_reason,
            talk_seconds=fate.talk_seconds,
            outcome=fate.outcome,
            answers=fate.answers,
            error_code=fate.error_code,
        )
        plan.append((ended, end))
        return plan

    # -- reporting what happens on the line --------------------------------------------------

    def _deliver_loop(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and not self._is_due():
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(timeout=timeout)
                if self._stopping:
                    return
            # Like a provider that sends its callbacks in small bursts: what else comes due
            # meanwhile goes in the same delivery.
            time.sleep(self._batch_window)
            with self._lock:
                batch = self._pop_due()
            self._deliver(batch)

    def _is_due(self) -> bool:
        return bool(self._due) and self._due[0][0] <= time.monotonic()

    def _pop_due(self) -> list[tuple[float, int, CallEvent]]:
        now = time.monotonic()
        batch: list[tuple[float, int, CallEvent]] = []
        while self._due and self._due[0][0] <= now and len(batch) < 2000:
            entry = heapq.heappop(self._due)
            batch.append(entry)
            if entry[2].kind is CallEventKind.ENDED:
                self._hang_up(entry[2], entry[0])
        return batch

    def _hang_up(self, event: CallEvent, at: float) -> None:
        record = self._lines.pop(event.provider_call_id, None)
        if record is None:
            return  # a redelivery: the line was already free
        record.ended_at = at
        record.end_reason = str(event.end_reason)
        self._active[record.group] -= 1

    def _deliver(self, batch: list[tuple[float, int, CallEvent]]) -> None:
        assert self._sink is not None
        try:
            self._sink([event for _, _, event in batch])
            with self._lock:
                for _, _, event in batch:
                    if event.kind is CallEventKind.ENDED:
                        self._plans.pop(event.call_id, None)  # recorded: nothing to recover
        except Exception:
            # Like a provider whose webhook was not acknowledged: keep the events, retry.
            log.exception("voice_sim.event_sink_failed", count=len(batch))
            retry_at = time.monotonic() + 1.0
            with self._lock:
                for _, order, event in batch:
                    heapq.heappush(self._due, (retry_at, order, event))
                self._wake.notify_all()
