"""Pause, resume and cancel (seed 000 statuses PAUSED and CANCELLED)."""

from __future__ import annotations

from httpx import Response

from support import HeraldFactory, RunningHerald, Tenant, wait_until

NUMBERS = [f"+24492300{i:04d}" for i in range(1, 11)]


def _post(herald: RunningHerald, tenant: Tenant, campaign_id: str, action: str) -> Response:
    return herald.client.post(
        f"/c/v1/campaigns/{campaign_id}/{action}",
        headers=tenant.headers,
    )


def test_a_paused_campaign_sends_nothing_until_resumed_and_never_twice(
    make_herald: HeraldFactory,
) -> None:
    herald: RunningHerald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    assert herald.expand() == 1
    assert herald.dispatch(limit=4) == 4
    paused = herald.client.post(
        f"/c/v1/campaigns/{campaign_id}/pause",
        json={"reason": "Customer asked to hold"},
        headers=tenant.headers,
    ).json()
    assert paused["status"] == "PAUSED"
    assert paused["data"]["reason_of_pause"] == "Customer asked to hold"
    assert herald.dispatch() == 0
    resumed = _post(herald, tenant, campaign_id, "resume").json()
    assert resumed["status"] == "SENDING"
    assert resumed["data"]["reason_of_pause"] is None
    assert herald.dispatch() == 6
    assert herald.dispatch() == 0
    assert herald.campaign(tenant, campaign_id)["status"] == "COMPLETED"
    assert herald.simulator.submitted_count == 10


def test_cancel_stops_unsent_messages_and_refunds_them(make_herald: HeraldFactory) -> None:
    herald: RunningHerald = make_herald(workers=False)
    tenant = herald.tenant(balance="1")
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    herald.expand()
    herald.dispatch(limit=3)
    cancelled = _post(herald, tenant, campaign_id, "cancel").json()
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["completed_at"] is not None
    assert cancelled["data"]["messages"]["CANCELLED"] == 7
    assert herald.dispatch() == 0
    messages = herald.messages(tenant, status="CANCELLED")
    assert len(messages) == 7 and all(m["is_refunded"] for m in messages)
    wait_until(lambda: herald.balance(tenant) == 1_000_000 - 3 * 50_000)
    assert herald.ledger_balances(tenant)


def test_cancelling_before_expansion_charges_nothing(make_herald: HeraldFactory) -> None:
    herald: RunningHerald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    assert _post(herald, tenant, campaign_id, "cancel").status_code == 200
    assert herald.expand() == 0
    assert herald.balance(tenant) == 100_000_000
    assert herald.messages(tenant) == []


def test_impossible_transitions_are_409(make_herald: HeraldFactory) -> None:
    herald: RunningHerald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    response = _post(herald, tenant, campaign_id, "resume")
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    herald.expand()
    herald.dispatch()
    assert herald.campaign(tenant, campaign_id)["status"] == "COMPLETED"
    for action in ("pause", "cancel"):
        assert _post(herald, tenant, campaign_id, action).status_code == 409


def test_a_paused_unexpanded_campaign_resumes_into_processing(make_herald: HeraldFactory) -> None:
    herald: RunningHerald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    _post(herald, tenant, campaign_id, "pause")
    assert herald.expand() == 0
    assert _post(herald, tenant, campaign_id, "resume").json()["status"] == "PROCESSING"
    assert herald.expand() == 1
    assert herald.campaign(tenant, campaign_id)["status"] == "SENDING"
