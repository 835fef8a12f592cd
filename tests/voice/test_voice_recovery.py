"""After a crash: the restarted node settles the calls it had on the line before it dials
again, as its provider says they went; an answered lead is never called again, lines are
free at once, and every hold comes back exactly once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from herald.kit import node
from herald.kit.clock import ManualClock
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    CallFate,
    CallRef,
    CallRequest,
    PlaceResult,
)
from herald.providers.voice_sim import Timing, VoiceSimulator
from herald.voice import dialer, recovery, settle
from herald.voice.dialer import VoiceProviders
from herald.voice.models import IN_FLIGHT, Call
from herald.voice.recovery import Recovered
from support import HeraldFactory, RunningHerald
from voice_kit import ANSWERS, BUSY, Voice, engine_id, number, start

SIM = "VOICE_SIM"


class Crash(BaseException):
    """The process dies: nothing after it runs, no transaction commits."""


class DiesWhilePlacing:
    """A provider during which the process dies while it places calls."""

    name = SIM

    def start(self, events: object) -> None: ...

    def place(self, calls: Sequence[CallRequest]) -> list[PlaceResult]:
        raise Crash

    def recover(self, calls: Sequence[CallRef]) -> list[CallFate]:
        raise AssertionError("not asked")

    def stop(self) -> None: ...


class CannotTell(DiesWhilePlacing):
    """A provider that cannot be reached after the restart."""

    def recover(self, calls: Sequence[CallRef]) -> list[CallFate]:
        raise ConnectionError("provider unreachable")


def providers_of(provider: object) -> VoiceProviders:
    return VoiceProviders({SIM: provider}, SIM)  # type: ignore[dict-item]


def report(herald: RunningHerald, call_id: uuid.UUID, kind: CallEventKind) -> None:
    """What the provider reported before the crash (committed, as the sink does)."""
    app = herald.container
    by = AnsweredBy.HUMAN if kind is CallEventKind.ANSWERED else None
    event = CallEvent(SIM, call_id, "", kind, app.clock.now(), answered_by=by)
    settle.record_events(app.db, app.clock, [event])


def call_ids(herald: RunningHerald, campaign_id: str) -> dict[str, uuid.UUID]:
    """Call id by number, for the campaign's calls."""
    with herald.container.db.reading() as session:
        rows = session.execute(
            select(Call.to_number, Call.id).where(
                Call.campaign_id == uuid.UUID(engine_id(campaign_id))
            )
        ).all()
    return {to: id for to, id in rows}


def money_is_exact(herald: RunningHerald, voice: Voice, start_micros: int) -> None:
    """Balance = start - what ended calls cost - what calls on the line hold; the ledger
    adds up to the balance (each hold came back once: references are unique)."""
    with herald.container.db.reading() as session:
        cost = session.scalar(select(func.coalesce(func.sum(Call.cost_micros), 0)))
        held = session.scalar(
            select(func.coalesce(func.sum(Call.held_micros), 0)).where(Call.status.in_(IN_FLIGHT))
        )
    assert herald.balance(voice.tenant) == start_micros - int(cost or 0) - int(held or 0)
    assert herald.ledger_balances(voice.tenant)


def test_a_restarted_node_settles_its_own_calls_at_once_and_never_calls_an_answered_lead_again(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    herald = start(make_herald, clock=clock, workers=False)
    voice = Voice(herald, herald.tenant(balance="10"))
    db = herald.container.db
    before = VoiceSimulator(clock)  # never started: it reports nothing by itself
    answered, ringing, placed = number(1, ANSWERS), number(2, ANSWERS), number(3, ANSWERS)
    retry = {"max_retries": 1, "retry_interval_minutes": 1}
    on_line = voice.campaign([answered, ringing, placed], retry=retry)
    assert dialer.dial_due(db, clock, providers_of(before), "node-a") == 3
    ids = call_ids(herald, on_line)
    report(herald, ids[answered], CallEventKind.ANSWERED)
    report(herald, ids[ringing], CallEventKind.RINGING)
    # The process dies while handing a call to the provider: it stays queued, unplaced.
    unplaced = voice.campaign([number(4, ANSWERS)], retry=retry)
    with pytest.raises(Crash):
        dialer.dial_due(db, clock, providers_of(DiesWhilePlacing()), "node-a")
    # Another node's call: it may be alive on another machine.
    elsewhere = voice.campaign([number(5, ANSWERS)])
    assert dialer.dial_due(db, clock, providers_of(before), "node-b") == 1

    after = VoiceSimulator(clock)  # the restarted process's simulator knows no call
    recovered = recovery.recover_node(db, clock, providers_of(after), "node-a")

    assert recovered == Recovered(lost=3, unplaced=1)
    calls = {c["to_phone_number"]: c for c in voice.calls(on_line)}
    lost_answered = calls[answered]
    assert (lost_answered["status"], lost_answered["error_code"]) == ("completed", "CALL_LOST")
    assert (lost_answered["billable_minutes"], lost_answered["cost"]) == (1, "0.050000")
    assert lost_answered["duration_seconds"] is None  # nobody knows how long it talked
    for lost in (calls[ringing], calls[placed]):
        assert (lost["status"], lost["error_code"], lost["cost"]) == (
            "failed",
            "CALL_LOST",
            "0.000000",
        )
    shown = voice.show(on_line)
    counters = ("in_progress_calls", "answered_leads", "pending_calls")
    assert [shown[name] for name in counters] == [0, 1, 2]
    assert voice.calls(unplaced) == []  # never dialed: no attempt
    assert voice.show(elsewhere)["in_progress_calls"] == 1
    money_is_exact(herald, voice, 10_000_000)

    # The lines are free at once: the unplaced lead is called now, the others after their
    # retry interval, and the answered lead never again.
    assert dialer.dial_due(db, clock, providers_of(after), "node-a") == 1
    assert voice.calls(unplaced)[0]["attempt_number"] == 1
    clock.advance(seconds=61)
    assert dialer.dial_due(db, clock, providers_of(after), "node-a") == 2
    numbers = [c["to_phone_number"] for c in voice.calls(on_line)]
    assert (numbers.count(answered), numbers.count(ringing), numbers.count(placed)) == (1, 2, 2)
    money_is_exact(herald, voice, 10_000_000)


def test_a_call_still_up_is_kept_and_one_that_ended_is_settled_as_its_provider_says(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    herald = start(make_herald, clock=clock, workers=False)
    voice = Voice(herald, herald.tenant(balance="10"))
    db = herald.container.db
    # Same process, same simulator: it still knows the calls (a real provider re-attaches).
    quick = VoiceSimulator(clock, time_scale=0.001)
    finished = voice.campaign([number(1, ANSWERS), number(2, BUSY)])
    assert dialer.dial_due(db, clock, providers_of(quick), "node-a") == 2
    time.sleep(0.8)  # every call has ended on the line, and nobody was told
    assert recovery.recover_node(db, clock, providers_of(quick), "node-a") == Recovered(ended=2)
    calls = {c["to_phone_number"]: c for c in voice.calls(finished)}
    talked = calls[number(1, ANSWERS)]
    assert talked["status"] == "completed" and talked["error_code"] is None
    assert talked["billable_minutes"] >= 1 and talked["duration_seconds"] > 0
    assert calls[number(2, BUSY)]["status"] == "busy"

    # Answered at once, talking for minutes.
    long_talk = Timing(post_dial_delay=(0.0, 0.0), ring=(0.0, 0.0), talk_min=290, talk_mean=299)
    talking = VoiceSimulator(clock, time_scale=0.01, timing=long_talk)
    up = voice.campaign([number(3, ANSWERS)])
    assert dialer.dial_due(db, clock, providers_of(talking), "node-a") == 1
    time.sleep(0.1)
    assert recovery.recover_node(db, clock, providers_of(talking), "node-a") == Recovered(up=1)
    call = voice.calls(up)[0]
    assert call["status"] == "in_progress"  # what it said meanwhile is recorded
    assert voice.show(up)["in_progress_calls"] == 1
    money_is_exact(herald, voice, 10_000_000)


def test_calls_nobody_can_account_for_wait_for_their_lease_and_an_answered_one_is_not_retried(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    herald = start(make_herald, clock=clock, workers=False)
    voice = Voice(herald, herald.tenant(balance="10"))
    db = herald.container.db
    retry = {"max_retries": 3, "retry_interval_minutes": 1}
    answered, ringing = number(1, ANSWERS), number(2, ANSWERS)
    campaign = voice.campaign([answered, ringing], retry=retry)
    assert dialer.dial_due(db, clock, providers_of(VoiceSimulator(clock)), "node-a") == 2
    report(herald, call_ids(herald, campaign)[answered], CallEventKind.ANSWERED)

    cannot_tell = recovery.recover_node(db, clock, providers_of(CannotTell()), "node-a")
    assert cannot_tell == Recovered(left=2)
    assert voice.show(campaign)["in_progress_calls"] == 2

    clock.advance(minutes=5 + 3, seconds=1)  # the agent's longest call plus the margin
    assert settle.sweep_lost(db, clock) == 2
    calls = {c["to_phone_number"]: c for c in voice.calls(campaign)}
    assert (calls[answered]["status"], calls[answered]["cost"]) == ("completed", "0.050000")
    assert calls[ringing]["status"] == "failed"
    clock.advance(minutes=2)
    assert dialer.dial_due(db, clock, providers_of(VoiceSimulator(clock)), "node-a") == 1
    assert [c["to_phone_number"] for c in voice.calls(campaign)].count(answered) == 1
    money_is_exact(herald, voice, 10_000_000)


def test_processes_sharing_a_data_dir_get_distinct_node_ids_and_a_successor_inherits_one(
    tmp_path: Path,
) -> None:
    first = node.claim(tmp_path, None)
    second = node.claim(tmp_path, None)
    assert first.value != second.value
    assert second.value.startswith(first.value)
    assert (tmp_path / "node-id").read_text().strip() == first.value
    first.release()  # the process ends (a kill -9 releases its lock too)
    successor = node.claim(tmp_path, None)
    assert successor.value == first.value
    assert node.claim(tmp_path, "dialer-7").value == "dialer-7"
    second.release()
    successor.release()
