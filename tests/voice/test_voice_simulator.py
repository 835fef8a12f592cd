"""The built-in voice simulator: realistic, deterministic under a seed, and honest about
how many calls it had on the line at once."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence

from herald.kit.clock import ManualClock
from herald.kit.ids import new_id
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    CallRequest,
    CallScript,
    EndReason,
    PlaceOutcome,
    Question,
)
from herald.providers.voice_sim import OutcomeRates, VoiceSimulator, decide

SCRIPT = CallScript(
    greeting="Hello",
    message="Your policy renews next week.",
    questions=(Question("renew", "Press 1 to renew", "dtmf", {"1": "yes", "2": "no"}),),
    outcome_labels=("renewing", "not_interested"),
)


def request(
    to: str, attempt: int = 1, group: str = "g", script: CallScript = SCRIPT
) -> CallRequest:
    return CallRequest(new_id(), to, "+351211234567", script, 300, attempt, group)


def test_the_same_seed_decides_the_same_calls_and_another_seed_others() -> None:
    numbers = [f"+35192{i:06d}7" for i in range(200)]
    first = [decide(request(n), 7, OutcomeRates()) for n in numbers]
    again = [decide(request(n), 7, OutcomeRates()) for n in numbers]
    other = [decide(request(n), 8, OutcomeRates()) for n in numbers]
    assert first == again
    assert first != other


def test_a_retry_is_a_new_draw_for_the_same_number() -> None:
    fates = [decide(request("+351920000017", attempt=a), 1, OutcomeRates()) for a in range(1, 30)]
    assert len({f.end_reason for f in fates}) > 1


def test_outcomes_follow_the_configured_rates() -> None:
    rates = OutcomeRates(human=0.5, machine=0.1, busy=0.1, no_answer=0.2, failed=0.1)
    fates = [decide(request(f"+35192{i:06d}7"), 3, rates) for i in range(5000)]
    seen = Counter((f.end_reason, f.answered_by) for f in fates)
    share = {key: n / len(fates) for key, n in seen.items()}
    assert abs(share[(EndReason.COMPLETED, AnsweredBy.HUMAN)] - 0.5) < 0.03
    assert abs(share[(EndReason.COMPLETED, AnsweredBy.MACHINE)] - 0.1) < 0.02
    assert abs(share[(EndReason.BUSY, None)] - 0.1) < 0.02
    assert abs(share[(EndReason.NO_ANSWER, None)] - 0.2) < 0.03
    assert abs(share[(EndReason.FAILED, None)] - 0.1) < 0.02


def test_answered_calls_last_like_conversations_and_stop_at_the_agents_limit() -> None:
    fates = [decide(request(f"+35191{i:03d}0900"), 5, OutcomeRates()) for i in range(500)]
    talks = sorted(f.talk_seconds for f in fates)
    assert all(f.answered_by is AnsweredBy.HUMAN for f in fates)
    assert talks[0] >= 8 and talks[-1] <= 300
    assert 50 < sum(talks) / len(talks) < 100
    assert {f.outcome for f in fates} == {"renewing", "not_interested"}
    assert {f.answers["renew"] for f in fates} == {"1", "2"}  # the keys pressed


def test_the_last_four_digits_force_an_outcome() -> None:
    expected = {
        "0900": (EndReason.COMPLETED, AnsweredBy.HUMAN),
        "0901": (EndReason.BUSY, None),
        "0902": (EndReason.NO_ANSWER, None),
        "0903": (EndReason.FAILED, None),
        "0904": (EndReason.COMPLETED, AnsweredBy.MACHINE),
    }
    for suffix, outcome in expected.items():
        for seed in range(5):
            fate = decide(request(f"+35191123{suffix}"), seed, OutcomeRates())
            assert (fate.end_reason, fate.answered_by) == outcome


def test_a_voicemail_with_a_message_takes_longer_than_hanging_up() -> None:
    leave = CallScript("Hi", "x" * 300, voicemail_action="leave_message")
    hang = CallScript("Hi", "x" * 300, voicemail_action="hang_up")
    left = decide(request("+35191123" + "0904", script=leave), 1, OutcomeRates())
    hung = decide(request("+35191123" + "0904", script=hang), 1, OutcomeRates())
    assert left.talk_seconds >= hung.talk_seconds + 15
    assert left.outcome == hung.outcome == "voicemail"


class Recorder:
    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self._lock = threading.Lock()

    def __call__(self, events: Sequence[CallEvent]) -> None:
        with self._lock:
            self.events.extend(events)

    def ended(self) -> int:
        with self._lock:
            return sum(1 for e in self.events if e.kind is CallEventKind.ENDED)


def test_each_call_reports_ringing_answer_and_end_in_order_with_simulated_times() -> None:
    clock = ManualClock()
    simulator = VoiceSimulator(clock, seed=1, time_scale=0.001)
    recorder = Recorder()
    simulator.start(recorder)
    try:
        calls = [request("+35191001" + "0900"), request("+35191002" + "0901")]
        results = simulator.place(calls)
        assert [r.outcome for r in results] == [PlaceOutcome.ACCEPTED] * 2
        deadline = time.monotonic() + 5
        while recorder.ended() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        simulator.stop()
    answered = [e for e in recorder.events if e.call_id == calls[0].call_id]
    assert [e.kind for e in answered] == [
        CallEventKind.RINGING,
        CallEventKind.ANSWERED,
        CallEventKind.ENDED,
    ]
    assert answered[0].occurred_at < answered[1].occurred_at < answered[2].occurred_at
    talk = (answered[2].occurred_at - answered[1].occurred_at).total_seconds()
    assert talk == answered[2].talk_seconds
    busy = [e for e in recorder.events if e.call_id == calls[1].call_id]
    assert [(e.kind, e.end_reason) for e in busy] == [(CallEventKind.ENDED, EndReason.BUSY)]


def test_it_records_how_many_calls_of_a_group_were_on_the_line_at_once() -> None:
    simulator = VoiceSimulator(ManualClock(), seed=1, time_scale=0.001)
    recorder = Recorder()
    simulator.start(recorder)
    try:
        simulator.place([request(f"+35191{i:03d}0900", group="a") for i in range(3)])
        simulator.place([request("+35191999" + "0900", group="b")])
        assert simulator.in_flight("a") == 3
        deadline = time.monotonic() + 5
        while recorder.ended() < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        simulator.stop()
    assert simulator.peak_in_flight("a") == 3
    assert simulator.peak_in_flight("b") == 1
    assert simulator.in_flight("a") == 0
    assert all(r.ended_at is not None for r in simulator.calls_of("a"))


def test_a_full_trunk_asks_to_retry_later() -> None:
    simulator = VoiceSimulator(ManualClock(), seed=1, time_scale=1.0, channels=2)
    simulator.start(Recorder())
    try:
        results = simulator.place([request(f"+35191{i:03d}0900") for i in range(3)])
    finally:
        simulator.stop()
    assert [r.outcome for r in results] == [
        PlaceOutcome.ACCEPTED,
        PlaceOutcome.ACCEPTED,
        PlaceOutcome.RETRY,
    ]
    assert isinstance(results[0].call_id, uuid.UUID)
