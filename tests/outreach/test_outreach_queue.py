"""The sequencer is a database work queue: leased turns, restart-safe, many leads each at
its own step, and the worker threads of a running Herald drive it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from herald.kit.clock import ManualClock
from herald.outreach import tasks
from outreach_kit import MONDAY_8AM, Desk, open_desk, run_queue
from support import HeraldFactory, wait_until

TWO_STEPS = {
    "steps": [
        {"type": "send", "templates": {"en": "One"}},
        {"type": "wait", "duration": "PT1S"},
        {"type": "send", "templates": {"en": "Two"}},
    ]
}


def test_a_worker_that_dies_mid_turn_loses_its_leads_to_another_and_nothing_is_sent_twice(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_8AM)
    herald = make_herald(workers=False, clock=clock)
    desk = open_desk(herald)
    leads = desk.import_leads({"phone": "+244990000001"}, {"phone": "+244990000002"})
    desk.start_with(TWO_STEPS, leads)
    container = herald.container
    lease = timedelta(seconds=60)
    stalled = tasks.claim_turns(container.db, clock, "worker-a", lease, 100)
    assert len(stalled.turns) == 2
    run_queue(herald)  # worker-a holds the leads: nobody else may take them
    assert desk.sent() == []
    clock.advance(seconds=61)  # worker-a's lease ran out
    run_queue(herald)
    assert sorted(m["content"] for m in desk.sent()) == ["One", "One"]
    tasks.write_turns(container.db, clock, "worker-a", stalled, None)  # it wakes up, late
    assert len(desk.sent()) == 2
    clock.advance(seconds=1)
    run_queue(herald)
    assert sorted(m["content"] for m in desk.sent()) == ["One", "One", "Two", "Two"]


def test_hundreds_of_leads_each_advance_on_their_own(make_herald: HeraldFactory) -> None:
    clock = ManualClock(MONDAY_8AM)
    herald = make_herald(workers=False, clock=clock, outreach_batch_size=100)
    desk = open_desk(herald, balance="1000")
    count = 300
    leads = desk.import_leads(*({"phone": f"+24499{i:07d}"} for i in range(1, count + 1)))
    campaign_id = desk.campaign(TWO_STEPS)
    # Half the leads join one second later: they are one step behind the others.
    desk.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": leads[: count // 2]})
    desk.data("POST", f"/campaigns/{campaign_id}/start")
    started = time.monotonic()
    run_queue(herald, dispatching=False)
    clock.advance(seconds=1)
    desk.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": leads[count // 2 :]})
    run_queue(herald, dispatching=False)
    elapsed = time.monotonic() - started
    steps = [p["nextStep"] for p in _all_progress(desk, campaign_id)]
    assert sorted(set(steps)) == [2, 3]
    assert steps.count(3) == count // 2
    assert elapsed < 30, f"{2 * count} turns took {elapsed:.1f}s"
    clock.advance(seconds=1)
    run_queue(herald, dispatching=False)
    assert desk.get_campaign(campaign_id)["status"] == "completed"
    assert herald.balance(desk.tenant) == (1000 - 2 * count * 0.05) * 1_000_000


def test_running_workers_carry_a_sequence_to_its_end(make_herald: HeraldFactory) -> None:
    herald = make_herald()
    desk = open_desk(herald)
    leads = desk.import_leads({"phone": "+244990000001"}, {"phone": "+244990000002"})
    campaign_id = desk.start_with(TWO_STEPS, leads)
    wait_until(lambda: desk.get_campaign(campaign_id)["status"] == "completed")
    wait_until(lambda: [m["status"] for m in desk.sent()] == ["DELIVERED"] * 4)
    assert sorted(m["content"] for m in desk.sent()) == ["One", "One", "Two", "Two"]


def test_a_reply_reaching_a_running_herald_stops_that_lead(make_herald: HeraldFactory) -> None:
    herald = make_herald()
    desk = open_desk(herald)
    slow = {
        "steps": [
            {"type": "send", "templates": {"en": "One"}},
            {"type": "wait", "duration": "PT2S"},
            {"type": "send", "templates": {"en": "Two"}},
        ]
    }
    leads = desk.import_leads({"phone": "+244990000001"}, {"phone": "+244990000002"})
    campaign_id = desk.start_with(slow, leads)
    wait_until(lambda: len(desk.sent()) == 2)
    desk.reply("+244990000001", "No thanks")
    wait_until(lambda: desk.get_campaign(campaign_id)["status"] == "completed")
    assert sorted((m["e164_format"], m["content"]) for m in desk.sent()) == [
        ("+244990000001", "One"),
        ("+244990000002", "One"),
        ("+244990000002", "Two"),
    ]
    assert [c["direction"] for c in desk.conversation(leads[0])] == ["outbound", "inbound"]


def _all_progress(desk: Desk, campaign_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"?limit=200&cursor={cursor}" if cursor else "?limit=200"
        page = desk.data("GET", f"/campaigns/{campaign_id}/leads{query}")
        items += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            return items
