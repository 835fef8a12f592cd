"""Subscribers hear about voice calls and campaigns as the voice API shows them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from support import HeraldFactory, wait_until
from voice_kit import ANSWERS, BUSY, Voice, number, start
from webhook_receiver import LOOPBACK, Receiver, register

CALL_EVENT = "voice.call.status_changed"
CAMPAIGN_EVENT = "voice.campaign.status_changed"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_call_and_campaign_status_changes_reach_subscribers(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = start(make_herald, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url, CALL_EVENT, CAMPAIGN_EVENT)
    voice = Voice(herald, tenant)
    campaign_id = voice.campaign([number(1, ANSWERS), number(2, BUSY)])
    campaign = voice.wait_status(campaign_id, "completed")

    calls = {c["to_phone_number"]: c for c in voice.calls(campaign_id)}
    answered, busy = calls[number(1, ANSWERS)], calls[number(2, BUSY)]

    def final_events() -> set[tuple[str, str]]:
        return {(r.json["data"]["id"], r.json["data"]["status"]) for r in list(receiver.received)}

    # Order is kept per resource, not across resources: wait for each one's last event.
    expected = {
        (campaign_id, "completed"),
        (answered["id"], "completed"),
        (busy["id"], "busy"),
    }
    wait_until(lambda: expected <= final_events())
    seen: dict[str, list[str]] = defaultdict(list)
    last = {}
    for received in receiver.received:
        data = received.json["data"]
        seen[data["id"]].append(data["status"])
        last[data["id"]] = received.json
    assert seen[answered["id"]] == ["ringing", "in_progress", "completed"]
    assert seen[busy["id"]] == ["busy"]
    assert seen[campaign_id] == ["running", "completed"]
    assert last[answered["id"]] == {**last[answered["id"]], "type": CALL_EVENT, "data": answered}
    assert last[campaign_id]["data"] == campaign  # the very shape GET returns
    assert all(r.signed_by(hook["secret"]) for r in receiver.received)
