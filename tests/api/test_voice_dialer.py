"""The dialer through the HTTP API, against the built-in voice simulator: concurrency as the
provider itself saw it, retries counted and spaced (clock in hand), pause, resume and
cancel, calling hours, billing per started minute, and counters that agree with the call
log and the wallet."""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from herald.billing import service as billing
from herald.kit.clock import ManualClock
from herald.kit.money import to_micros
from support import HeraldFactory, wait_until
from voice_kit import (
    ANSWERS,
    BUSY,
    FAILS,
    MACHINE,
    NO_ANSWER,
    Voice,
    engine_id,
    number,
    peak_overlap,
    set_voice_price,
    simulator,
    start,
)

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def ended(voice: Voice, campaign_id: str) -> list[dict[str, Any]]:
    return [c for c in voice.calls(campaign_id) if c["ended_at"]]


def wait_ended(voice: Voice, campaign_id: str, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]]:
        found = ended(voice, campaign_id)
        return found if len(found) >= count else []

    return wait_until(enough)


def stays(predicate: Any, seconds: float = 0.3) -> bool:
    """`predicate` holds now and still after `seconds` of workers running."""
    before = predicate()
    time.sleep(seconds)
    return bool(before and predicate())


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_concurrency_is_never_exceeded_and_every_lead_is_called_once(
    make_herald: HeraldFactory,
) -> None:
    herald = start(make_herald)
    voice = Voice(herald, herald.tenant())
    campaign_id = voice.campaign([number(i, ANSWERS) for i in range(40)], max_concurrent_calls=4)
    done = voice.wait_status(campaign_id, "completed")
    sim = simulator(herald)
    group = engine_id(campaign_id)
    assert sim.peak_in_flight(group) == 4
    assert peak_overlap(sim.calls_of(group)) == 4
    calls = voice.calls(campaign_id)
    assert len(calls) == 40 == len({c["lead"]["id"] for c in calls})
    assert {c["attempt_number"] for c in calls} == {1}
    assert (done["completed_calls"], done["pending_calls"], done["answered_leads"]) == (40, 0, 40)
    exposed = herald.client.get("/metrics").text
    assert 'herald_voice_calls_placed_total{outcome="ACCEPTED",provider="VOICE_SIM"}' in exposed
    assert 'herald_voice_calls_ended_total{status="completed"}' in exposed


def test_a_new_concurrency_limit_takes_effect_while_the_campaign_runs(
    make_herald: HeraldFactory,
) -> None:
    herald = start(make_herald)
    voice = Voice(herald, herald.tenant())
    campaign_id = voice.campaign([number(i, ANSWERS) for i in range(80)], max_concurrent_calls=2)
    group = engine_id(campaign_id)
    wait_ended(voice, campaign_id, 4)
    assert simulator(herald).peak_in_flight(group) == 2
    raised = voice.patch(f"/v1/campaigns/{campaign_id}", {"max_concurrent_calls": 6})
    assert raised.json()["max_concurrent_calls"] == 6
    voice.wait_status(campaign_id, "completed")
    assert simulator(herald).peak_in_flight(group) == 6


def test_busy_unanswered_failed_and_machine_calls_are_retried_after_the_interval(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_6AM)
    herald = start(make_herald, clock=clock)
    voice = Voice(herald, herald.tenant())
    leads = [number(1, BUSY), number(2, NO_ANSWER), number(3, FAILS), number(4, MACHINE)]
    campaign_id = voice.campaign(
        [*leads, number(5, ANSWERS)],
        retry={"max_retries": 2, "retry_interval_minutes": 10},
    )
    wait_ended(voice, campaign_id, 5)
    assert stays(lambda: len(voice.calls(campaign_id)) == 5)
    clock.advance(minutes=9)
    assert stays(lambda: len(voice.calls(campaign_id)) == 5)
    clock.advance(minutes=2)
    wait_ended(voice, campaign_id, 9)
    clock.advance(minutes=11)
    wait_ended(voice, campaign_id, 13)
    done = voice.wait_status(campaign_id, "completed")
    clock.advance(minutes=11)
    assert stays(lambda: len(voice.calls(campaign_id)) == 13)

    by_lead: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in voice.calls(campaign_id):
        by_lead[call["lead"]["phone_number"]].append(call)
    assert [c["status"] for c in by_lead[number(5, ANSWERS)]] == ["completed"]
    expected = {BUSY: "busy", NO_ANSWER: "no_answer", FAILS: "failed", MACHINE: "voicemail"}
    for lead in leads:
        calls = by_lead[lead]
        assert [c["attempt_number"] for c in calls] == [1, 2, 3]
        assert {c["status"] for c in calls} == {expected[lead[-4:]]}
        for before, after in itertools.pairwise(calls):
            assert at(after["started_at"]) - at(before["ended_at"]) >= timedelta(minutes=10)
    counters = (done["total_leads"], done["completed_calls"], done["pending_calls"])
    assert counters == (5, 5, 0)
    assert (done["answered_leads"], done["failed_leads"]) == (1, 4)


def test_fewer_retries_allowed_finish_the_leads_that_used_theirs_up(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_6AM)
    herald = start(make_herald, clock=clock)
    voice = Voice(herald, herald.tenant())
    campaign_id = voice.campaign(
        [number(1, BUSY)], retry={"max_retries": 3, "retry_interval_minutes": 10}
    )
    wait_ended(voice, campaign_id, 1)
    changed = voice.patch(f"/v1/campaigns/{campaign_id}", {"retry": {"max_retries": 0}}).json()
    assert changed["status"] == "completed" and changed["failed_leads"] == 1
    clock.advance(minutes=11)
    assert stays(lambda: len(voice.calls(campaign_id)) == 1)


def test_pause_stops_new_calls_resume_continues_and_cancel_ends_the_campaign(
    make_herald: HeraldFactory,
) -> None:
    herald = start(make_herald)
    voice = Voice(herald, herald.tenant())
    campaign_id = voice.campaign([number(i, ANSWERS) for i in range(60)], max_concurrent_calls=2)
    path = f"/v1/campaigns/{campaign_id}"
    sim, group = simulator(herald), engine_id(campaign_id)
    wait_ended(voice, campaign_id, 4)

    assert voice.patch(path, {"status": "paused"}).json()["status"] == "paused"
    paused_at = time.monotonic()
    assert all(r.placed_at < paused_at for r in sim.calls_of(group))
    wait_until(lambda: voice.show(campaign_id)["in_progress_calls"] == 0)
    placed = len(sim.calls_of(group))
    assert stays(lambda: len(sim.calls_of(group)) == placed == len(voice.calls(campaign_id)))

    assert voice.patch(path, {"status": "active"}).json()["status"] == "running"
    wait_ended(voice, campaign_id, placed + 4)

    cancelled = voice.patch(path, {"status": "cancelled"}).json()
    cancelled_at = time.monotonic()
    assert cancelled["status"] == "cancelled" and cancelled["pending_calls"] <= 2
    assert all(r.placed_at < cancelled_at for r in sim.calls_of(group))
    final = wait_until(
        lambda: (
            (c := voice.show(campaign_id))["in_progress_calls"] == 0
            and c["pending_calls"] == 0
            and c
        )
    )
    calls = voice.calls(campaign_id)
    assert stays(lambda: len(sim.calls_of(group)) == len(calls) == len(voice.calls(campaign_id)))
    assert final["status"] == "cancelled" and final["cancelled_leads"] > 0
    # Cancelling hung up the calls on the line: an answered one completed, one still ringing
    # ended unanswered and its lead counts as cancelled.
    hung_up = [c for c in calls if c["error_code"] == "SIM_HUNG_UP"]
    assert all(c["status"] == "no_answer" for c in hung_up)
    assert final["completed_calls"] == len(calls) - len(hung_up) == final["answered_leads"]
    assert final["completed_calls"] + final["cancelled_leads"] == final["total_leads"] == 60


def test_counters_agree_with_the_call_log_and_calls_are_billed_per_started_minute(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_6AM)
    herald = start(make_herald, clock=clock)
    set_voice_price(herald, "0.12", country="PT")
    tenant = herald.tenant(balance="100")
    voice = Voice(herald, tenant)
    agent_id = voice.agent(voicemail={"action": "leave_message"})
    campaign_id = voice.campaign(
        [number(i) for i in range(40)],
        agent_id=agent_id,
        max_concurrent_calls=8,
        retry={"max_retries": 1, "retry_interval_minutes": 5},
    )
    wait_ended(voice, campaign_id, 40)
    clock.advance(minutes=6)
    done = voice.wait_status(campaign_id, "completed")

    calls = voice.calls(campaign_id)
    by_lead: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in calls:
        by_lead[call["lead"]["id"]].append(call)
    answered = {"completed", "voicemail"}
    reached = [lead for lead, tries in by_lead.items() if tries[-1]["status"] in answered]
    for tries in by_lead.values():
        assert [c["attempt_number"] for c in tries] == list(range(1, len(tries) + 1))
        assert all(c["status"] not in answered for c in tries[:-1])  # never called again
        assert len(tries) == 2 or tries[-1]["status"] in answered
    assert len(by_lead) == done["total_leads"] == 40
    assert done["answered_leads"] == len(reached) and 0 < len(reached) < 40
    assert done["failed_leads"] == 40 - len(reached)
    assert done["completed_calls"] == 40 and done["pending_calls"] == 0
    assert {c["status"] for c in calls} >= {"completed", "voicemail", "busy", "no_answer"}

    total = Decimal(0)
    for call in calls:
        minutes = math.ceil(call["duration_seconds"] / 60) if call["status"] in answered else 0
        assert call["billable_minutes"] == minutes
        assert call["price_per_minute"] == "0.120000"
        assert Decimal(call["cost"]) == minutes * Decimal("0.12")
        total += Decimal(call["cost"])
    assert herald.balance(tenant) == to_micros("100") - to_micros(total)
    assert herald.ledger_balances(tenant)


def test_calls_wait_for_calling_hours_in_the_leads_own_time_zone(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_6AM)
    herald = start(make_herald, clock=clock)
    voice = Voice(herald, herald.tenant())
    lisbon_or_azores = number(1, ANSWERS)  # a mobile: either zone, so both must be open
    new_york = "+12126640900"
    campaign_id = voice.campaign(
        [
            lisbon_or_azores,
            new_york,
            {"phone_number": number(2, ANSWERS), "timezone": "Asia/Tokyo"},  # 15:00 there
        ],
        calling_hours={"start": "09:00", "end": "17:00"},
    )
    first = wait_ended(voice, campaign_id, 1)
    assert first[0]["to_phone_number"] == number(2, ANSWERS)
    assert stays(lambda: len(voice.calls(campaign_id)) == 1)
    clock.advance(hours=3, minutes=30)  # 09:30 in Lisbon, 08:30 in the Azores
    assert stays(lambda: len(voice.calls(campaign_id)) == 1)
    clock.advance(minutes=30)
    second = wait_ended(voice, campaign_id, 2)
    assert {c["to_phone_number"] for c in second} == {number(2, ANSWERS), lisbon_or_azores}
    assert voice.show(campaign_id)["status"] == "running"
    clock.advance(hours=4)  # 09:00 in New York
    voice.wait_status(campaign_id, "completed")
    new_york_call = next(c for c in voice.calls(campaign_id) if c["to_phone_number"] == new_york)
    assert at(new_york_call["started_at"]) == MONDAY_6AM + timedelta(hours=8)


def test_a_scheduled_campaign_starts_at_its_time(make_herald: HeraldFactory) -> None:
    clock = ManualClock(MONDAY_6AM)
    herald = start(make_herald, clock=clock)
    voice = Voice(herald, herald.tenant())
    campaign_id = voice.campaign(
        [number(1, ANSWERS)], schedule={"start_at": "2026-03-02T07:00:00Z"}
    )
    assert stays(lambda: voice.show(campaign_id)["status"] == "active")
    assert voice.calls(campaign_id) == []
    clock.advance(hours=1)
    done = voice.wait_status(campaign_id, "completed")
    assert done["started_at"] == "2026-03-02T07:00:00.000Z"


def test_a_wallet_that_cannot_cover_a_call_pauses_the_campaign_until_topped_up(
    make_herald: HeraldFactory,
) -> None:
    herald = start(make_herald)
    tenant = herald.tenant(balance="0.10")  # a call holds 5 minutes at 0.05
    voice = Voice(herald, tenant)
    campaign_id = voice.campaign([number(1, ANSWERS), number(2, BUSY)])
    paused = voice.wait_status(campaign_id, "paused")
    assert paused["pause_reason"] == "insufficient_funds"
    assert voice.calls(campaign_id) == [] and herald.balance(tenant) == to_micros("0.10")
    with herald.container.db.transaction() as session:
        account = billing.account_of(session, uuid.UUID(tenant.organization_id))
        billing.top_up(session, herald.container.clock, account.id, to_micros("10"), "Top-up")
    resumed = voice.patch(f"/v1/campaigns/{campaign_id}", {"status": "active"}).json()
    assert resumed["pause_reason"] is None
    voice.wait_status(campaign_id, "completed")
    assert herald.ledger_balances(tenant)


def test_the_limit_holds_across_two_herald_processes_on_one_database(
    make_herald: HeraldFactory,
) -> None:
    first = start(make_herald)
    second = start(make_herald)
    voice = Voice(first, first.tenant())
    campaign_id = voice.campaign([number(i, ANSWERS) for i in range(40)], max_concurrent_calls=3)
    voice.wait_status(campaign_id, "completed")
    group = engine_id(campaign_id)
    records = simulator(first).calls_of(group) + simulator(second).calls_of(group)
    assert len(records) == 40
    assert peak_overlap(records) <= 3
