"""Deliveries are rows in the database queue: a worker that dies mid-delivery loses
nothing and lets nothing overtake, and an endpoint failing for days is given up on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from herald.bootstrap import webhook_deliverer
from herald.kit.clock import ManualClock
from herald.webhooks import events
from herald.webhooks.tasks import Deliverer
from support import HeraldFactory, RunningHerald, Tenant
from webhook_receiver import LOOPBACK, Receiver, register


def publish(herald: RunningHerald, tenant: Tenant, resource_id: str, status: str) -> None:
    """An event as any domain publishes one: inside its own transaction."""
    with herald.container.db.transaction() as session:
        events.publish(
            session,
            herald.container.clock,
            uuid.UUID(tenant.organization_id),
            events.CAMPAIGN_STATUS_CHANGED,
            resource_id,
            {"id": resource_id, "status": status},
        )


def worker(herald: RunningHerald, name: str) -> Deliverer:
    deliverer = webhook_deliverer(herald.container)
    deliverer.owner = name
    return deliverer


def seen(receiver: Receiver) -> list[tuple[str, str]]:
    return [(r.json["data"]["id"], r.json["data"]["status"]) for r in receiver.received]


def log(herald: RunningHerald, tenant: Tenant, endpoint_id: str) -> list[dict[str, Any]]:
    response = herald.client.get(
        f"/c/v1/webhooks/{endpoint_id}/deliveries", params={"limit": 200}, headers=tenant.headers
    )
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_a_worker_dying_mid_delivery_neither_loses_nor_reorders_events(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    clock = ManualClock(datetime.now(UTC))
    herald = make_herald(workers=False, clock=clock, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    register(herald, tenant, receiver.url)
    publish(herald, tenant, "campaign-a", "SENDING")
    publish(herald, tenant, "campaign-a", "COMPLETED")
    publish(herald, tenant, "campaign-b", "SENDING")

    doomed = worker(herald, "doomed")
    jobs = doomed.claim()
    assert len(jobs) == 2  # the head of each resource's line, never its successor
    for job in jobs:
        doomed.attempt(job)  # sent... and the worker dies before recording the answers
    assert sorted(seen(receiver)) == [("campaign-a", "SENDING"), ("campaign-b", "SENDING")]

    survivor = worker(herald, "survivor")
    assert survivor.deliver_due() == 0  # leased, and campaign-a's COMPLETED waits behind
    clock.advance(seconds=herald.container.settings.lease_seconds + 1)
    assert survivor.deliver_due() == 2  # the lease ran out: both are sent again
    assert survivor.deliver_due() == 1  # only now may campaign-a's next event go
    assert survivor.deliver_due() == 0

    ids = receiver.ids()
    assert len(ids) == 5 and len(set(ids)) == 3  # resent with the same webhook-ids
    order_a = [status for resource, status in seen(receiver) if resource == "campaign-a"]
    assert order_a == ["SENDING", "SENDING", "COMPLETED"]


def test_an_endpoint_failing_for_days_is_given_up_and_disabled(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    clock = ManualClock(datetime.now(UTC))
    herald = make_herald(workers=False, clock=clock, webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    hook = register(herald, tenant, receiver.url)
    receiver.default = (500, {})
    publish(herald, tenant, "campaign-a", "SENDING")
    deliverer = worker(herald, "w")
    started = clock.now()
    tried_at: list[datetime] = []
    while deliverer.deliver_due():  # each retry as soon as it is due, until given up
        tried_at.append(clock.now())
        [waiting] = log(herald, tenant, hook["id"])
        if waiting["next_attempt_at"] is None:
            break
        clock.advance(
            seconds=(
                datetime.fromisoformat(waiting["next_attempt_at"]) - clock.now()
            ).total_seconds()
        )
    [delivery] = log(herald, tenant, hook["id"])
    assert delivery["status"] == "FAILED"
    assert delivery["attempts"] == len(tried_at) == len(delivery["attempt_log"])
    assert {a["status_code"] for a in delivery["attempt_log"]} == {500}
    # Exponential backoff: the gaps grow (up to their cap) over about three days.
    gaps = [b - a for a, b in pairwise(tried_at)]
    assert gaps[0] < timedelta(seconds=15) and max(gaps) >= timedelta(hours=4)
    growing = gaps[:-1]  # (the last one is cut short by the end of the retry window)
    assert all(later >= earlier * 0.5 for earlier, later in pairwise(growing))
    assert timedelta(hours=70) <= tried_at[-1] - started <= timedelta(hours=73)
    assert 10 <= len(tried_at) <= 25
    endpoint = herald.client.get(f"/c/v1/webhooks/{hook['id']}", headers=tenant.headers).json()
    assert endpoint["status"] == "DISABLED"
    assert endpoint["disabled_reason"].startswith("Every delivery attempt has failed since")
