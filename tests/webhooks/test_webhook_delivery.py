"""Deliveries end to end: a campaign runs, subscribers hear about it in order, and an
endpoint that is down, slow to recover or gone is handled as the spec says."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from herald.kit.clock import ManualClock
from support import HeraldFactory, RunningHerald, Tenant, wait_until
from webhook_receiver import LOOPBACK, Receiver, register

NUMBERS = ["+244990000001", "+244990000002", "+244990000999"]


def deliveries(herald: RunningHerald, tenant: Tenant, endpoint_id: str) -> list[dict[str, Any]]:
    response = herald.client.get(
        f"/c/v1/webhooks/{endpoint_id}/deliveries", params={"limit": 200}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def endpoint(herald: RunningHerald, tenant: Tenant, endpoint_id: str) -> dict[str, Any]:
    response = herald.client.get(f"/c/v1/webhooks/{endpoint_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def run_campaign(herald: RunningHerald, tenant: Tenant) -> str:
    response = herald.batch(tenant, NUMBERS)
    assert response.status_code == 202
    campaign_id: str = response.json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    wait_until(
        lambda: all(m["status"] != "SENT" for m in herald.messages(tenant, campaign_id=campaign_id))
    )
    return campaign_id


def statuses_by_resource(receiver: Receiver) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = defaultdict(list)
    for received in receiver.received:
        data = received.json["data"]
        seen[data["id"]].append(data["status"])
    return dict(seen)


def test_subscribers_hear_each_status_change_in_order_shown_as_the_api_shows_it(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url)
    campaign_id = run_campaign(herald, tenant)
    # SENDING and COMPLETED for the campaign, SENT and a final state for each message.
    wait_until(lambda: len(receiver.received) == 2 + 2 * len(NUMBERS))
    seen = statuses_by_resource(receiver)
    assert seen[campaign_id] == ["SENDING", "COMPLETED"]
    messages = herald.messages(tenant, campaign_id=campaign_id)
    for message in messages:
        final = "UNDELIVERED" if message["e164_format"].endswith("0999") else "DELIVERED"
        assert seen[message["id"]] == ["SENT", final]
    last = {r.json["data"]["id"]: r.json for r in receiver.received}
    for message in messages:
        assert last[message["id"]]["type"] == "message.status_changed"
        assert last[message["id"]]["data"] == message  # the very shape GET returns
    assert all(r.signed_by(hook["secret"]) for r in receiver.received)
    wait_until(
        lambda: {d["status"] for d in deliveries(herald, tenant, hook["id"])} == {"SUCCEEDED"}
    )


def test_an_endpoint_only_gets_the_event_types_it_asked_for(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    register(herald, tenant, receiver.url, "campaign.status_changed")
    campaign_id = run_campaign(herald, tenant)
    wait_until(lambda: len(receiver.received) == 2)
    assert statuses_by_resource(receiver) == {campaign_id: ["SENDING", "COMPLETED"]}
    other = herald.tenant(name="Other")  # another tenant's events never reach this endpoint
    run_campaign(herald, other)
    assert len(receiver.received) == 2


def test_a_receiver_down_then_up_gets_every_event_once_and_in_order(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    clock = ManualClock(datetime.now(UTC))
    herald = make_herald(clock=clock, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url)
    receiver.stop()  # connections are refused from now on
    campaign_id = run_campaign(herald, tenant)
    expected = 2 + 2 * len(NUMBERS)
    wait_until(lambda: len(deliveries(herald, tenant, hook["id"])) == expected)
    # Only the first event of each resource is tried; the rest wait behind it.
    wait_until(lambda: sum(d["attempts"] for d in deliveries(herald, tenant, hook["id"])) == 4)
    # Attempts are counted when claimed; the endpoint learns of the failure when recorded.
    failing = wait_until(
        lambda: (e := endpoint(herald, tenant, hook["id"]))["failing_since"] is not None and e
    )
    assert failing["status"] == "ENABLED"
    receiver.start()
    for _ in range(10):  # move time on: the retries come due and succeed
        clock.advance(minutes=5)
        herald.container.wake_workers()
        if len(set(receiver.ids())) == expected:
            break
        wait_until(lambda: len(receiver.received) > 0, timeout=2)
    wait_until(lambda: len(set(receiver.ids())) == expected)
    assert len(receiver.ids()) == expected  # each event exactly once
    seen = statuses_by_resource(receiver)
    assert seen[campaign_id] == ["SENDING", "COMPLETED"]
    assert all(
        statuses[0] == "SENT" and len(statuses) == 2
        for statuses in seen.values()
        if statuses[0] != "SENDING"
    )
    assert all(r.signed_by(hook["secret"]) for r in receiver.received)
    assert endpoint(herald, tenant, hook["id"])["failing_since"] is None


def test_only_a_2xx_is_success_and_retry_after_is_honoured(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    clock = ManualClock(datetime.now(UTC))
    herald = make_herald(clock=clock, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url, "campaign.status_changed")
    receiver.answer(302, Location="http://127.0.0.1:1/elsewhere")
    receiver.answer(429, Retry_After="600")
    herald.batch(tenant, NUMBERS)
    wait_until(lambda: len(receiver.received) == 1)
    first = wait_until(lambda: deliveries(herald, tenant, hook["id"])[-1]["attempt_log"])
    assert first[0]["status_code"] == 302  # a redirect is not followed, and not a success
    clock.advance(minutes=1)
    herald.container.wake_workers()
    wait_until(lambda: len(receiver.received) == 2)
    log = wait_until(
        lambda: (
            deliveries(herald, tenant, hook["id"])[-1]["attempt_log"][1:]
            and deliveries(herald, tenant, hook["id"])[-1]
        )
    )
    due = datetime.fromisoformat(log["next_attempt_at"])
    assert due - clock.now() >= timedelta(seconds=590)  # the endpoint asked for 10 minutes
    clock.advance(minutes=5)
    herald.container.wake_workers()
    assert len(receiver.received) == 2
    clock.advance(minutes=6)
    herald.container.wake_workers()
    wait_until(lambda: len(receiver.received) >= 3)
    wait_until(lambda: deliveries(herald, tenant, hook["id"])[-1]["status"] == "SUCCEEDED")


def test_a_410_disables_the_endpoint_until_it_is_enabled_again(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url, "campaign.status_changed")
    receiver.answer(410)
    first = run_campaign(herald, tenant)
    wait_until(lambda: endpoint(herald, tenant, hook["id"])["status"] == "DISABLED")
    shown = endpoint(herald, tenant, hook["id"])
    assert "410" in shown["disabled_reason"] and shown["disabled_at"]
    assert len(receiver.received) == 1  # nothing more goes to a disabled endpoint
    response = herald.client.post(f"/c/v1/webhooks/{hook['id']}/enable", headers=tenant.headers)
    assert response.status_code == 200 and response.json()["status"] == "ENABLED"
    # What was waiting is retried at once, with its webhook-id; later events flow again.
    wait_until(lambda: statuses_by_resource(receiver)[first][:2] == ["SENDING", "SENDING"])
    assert receiver.ids()[0] == receiver.ids()[1]
    second = run_campaign(herald, tenant)
    wait_until(lambda: statuses_by_resource(receiver).get(second) == ["SENDING", "COMPLETED"])
    # The first campaign's COMPLETED was only queued if it happened before the 410 came.
    assert statuses_by_resource(receiver)[first] in (
        ["SENDING", "SENDING"],
        ["SENDING", "SENDING", "COMPLETED"],
    )


def test_the_delivery_log_shows_attempts_and_a_replay_sends_the_event_again(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url, "campaign.status_changed")
    run_campaign(herald, tenant)
    wait_until(lambda: len(receiver.received) == 2)

    # The receiver answers before the worker records the attempt: wait for both records.
    def succeeded() -> list[dict[str, Any]]:
        found = deliveries(herald, tenant, hook["id"])
        return [d for d in found if d["status"] == "SUCCEEDED"]

    log = wait_until(lambda: len(found := succeeded()) == 2 and found)
    newest = log[0]
    assert newest["event_type"] == "campaign.status_changed"
    assert newest["payload"]["data"]["status"] == "COMPLETED"
    assert newest["webhook_id"] == receiver.ids()[1]
    [attempt] = newest["attempt_log"]
    assert attempt["status_code"] == 204 and attempt["latency_ms"] >= 0
    replay = herald.client.post(
        f"/c/v1/webhooks/{hook['id']}/deliveries/{newest['id']}/replay", headers=tenant.headers
    )
    assert replay.status_code == 202
    wait_until(lambda: len(receiver.received) == 3)
    assert receiver.ids()[2] == newest["webhook_id"]
    assert receiver.received[2].body == receiver.received[1].body
