"""Sending caps: when one is hit the campaign pauses itself, shows until when in
`rateLimitedUntil`, and resumes on its own."""

from __future__ import annotations

from pathlib import Path

from herald.kit.clock import ManualClock
from herald.providers.simulator import SimulatorProvider
from outreach_kit import (
    MONDAY_8AM,
    THREE_STEPS,
    ThrottlingCarrier,
    herald_with_provider,
    open_desk,
)
from support import HeraldFactory

ONE_STEP = {"steps": [{"type": "send", "templates": {"en": "Hello {{ lead.firstName }}"}}]}
PHONES = [{"phone": f"+24499000000{i}"} for i in range(1, 4)]


def test_a_daily_cap_per_sender_pauses_until_midnight_utc_and_then_resumes(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_8AM)
    herald = make_herald(workers=False, clock=clock)
    desk = open_desk(herald)
    leads = desk.import_leads(*PHONES)
    campaign_id = desk.start_with(ONE_STEP, leads, dailySendCap=2)
    desk.run()
    assert len(desk.sent()) == 2
    campaign = desk.get_campaign(campaign_id)
    assert campaign["status"] == "paused"
    assert campaign["rateLimitedUntil"] == "2026-01-06T00:00:00.000000+00:00"
    clock.advance(hours=15, minutes=59)
    desk.run()
    assert len(desk.sent()) == 2
    clock.advance(minutes=1)
    desk.run()
    assert len(desk.sent()) == 3
    campaign = desk.get_campaign(campaign_id)
    assert (campaign["status"], campaign["rateLimitedUntil"]) == ("completed", None)


def test_the_operators_cap_counts_every_campaign_of_the_sender(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(MONDAY_8AM)
    herald = make_herald(workers=False, clock=clock, outreach_sender_daily_cap=3)
    desk = open_desk(herald)
    first = desk.start_with(ONE_STEP, desk.import_leads(*PHONES[:2]))
    desk.run()
    second = desk.start_with(ONE_STEP, desk.import_leads(*PHONES[2:], {"phone": "+244990000009"}))
    desk.run()
    assert len(desk.sent()) == 3
    assert desk.get_campaign(first)["status"] == "completed"
    held = desk.get_campaign(second)
    assert (held["status"], held["rateLimitedUntil"]) == (
        "paused",
        "2026-01-06T00:00:00.000000+00:00",
    )
    # A pause asked for by hand replaces the automatic one: it does not end by itself.
    paused = desk.data("POST", f"/campaigns/{second}/pause")
    assert paused["rateLimitedUntil"] is None
    clock.advance(days=1)
    desk.run()
    assert len(desk.sent()) == 3
    desk.data("POST", f"/campaigns/{second}/resume")
    desk.run()
    assert len(desk.sent()) == 4


def test_a_throttling_carrier_pauses_the_campaign_until_it_may_send_again(
    db_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(MONDAY_8AM)
    carrier = ThrottlingCarrier(
        SimulatorProvider(clock, submit_latency=0, receipt_delay=0.01), refusals=2, retry_after=90
    )
    herald = herald_with_provider(db_url, tmp_path, clock, carrier)
    try:
        desk = open_desk(herald)
        leads = desk.import_leads(*PHONES[:2])
        campaign_id = desk.start_with(THREE_STEPS, leads)
        desk.run()
        assert len(carrier.refused) == 2
        campaign = desk.get_campaign(campaign_id)
        assert campaign["status"] == "paused"
        assert campaign["rateLimitedUntil"] == "2026-01-05T08:01:30.000000+00:00"
        assert {m["status"] for m in desk.sent()} == {"PENDING"}
        clock.advance(seconds=90)
        desk.run()
        campaign = desk.get_campaign(campaign_id)
        assert (campaign["status"], campaign["rateLimitedUntil"]) == ("active", None)
        assert {m["status"] for m in desk.sent()} <= {"SENT", "DELIVERED"}
        clock.advance(days=1)
        desk.run()
        assert len(desk.sent()) == 4
    finally:
        herald.close()
