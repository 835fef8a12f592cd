"""Idempotency-Key on every POST: a retried request gets the first response and creates
nothing; the same key with another body is refused; a key still running answers 409."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from herald.api.idempotency import fingerprint
from herald.idempotency import service
from herald.kit.clock import ManualClock
from support import HeraldFactory, RunningHerald, Tenant

NUMBERS = ["+244990000001", "+244990000002"]


def batch(herald: RunningHerald, tenant: Tenant, key: str, **fields: object) -> httpx.Response:
    body = {
        "name": "Promo",
        "remitter_id": tenant.remitter_id,
        "channel_type": "SMS",
        "content": "Hello",
        "recipients": NUMBERS,
        **fields,
    }
    headers = {**tenant.headers, "Idempotency-Key": key}
    return herald.client.post("/c/v1/campaigns/batch", json=body, headers=headers)


def campaign_ids(herald: RunningHerald, tenant: Tenant) -> list[str]:
    response = herald.client.get("/c/v1/campaigns", headers=tenant.headers)
    return [c["id"] for c in response.json()["data"]]


def test_the_same_key_and_body_returns_the_first_response_and_creates_nothing(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    first = batch(herald, tenant, "order-42")
    again = batch(herald, tenant, "order-42")
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert campaign_ids(herald, tenant) == [first.json()["campaign_id"]]
    assert batch(herald, tenant, "order-43").status_code == 202
    assert len(campaign_ids(herald, tenant)) == 2


def test_the_same_key_with_another_body_is_refused_in_the_dialects_envelope(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    assert batch(herald, tenant, "k1").status_code == 202
    refused = batch(herald, tenant, "k1", content="Another text")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert body["status"] == 422 and body["trace_id"] and body["timestamp"]
    assert len(campaign_ids(herald, tenant)) == 1


def test_keys_belong_to_one_api_key(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant, other = herald.tenant(), herald.tenant(name="Other")
    assert batch(herald, tenant, "shared").status_code == 202
    assert batch(herald, other, "shared").status_code == 202
    assert len(campaign_ids(herald, tenant)) == len(campaign_ids(herald, other)) == 1


def test_a_refused_request_releases_its_key_for_the_corrected_one(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    invalid = batch(herald, tenant, "fix-me", recipients=["+244990000001"])
    assert invalid.status_code == 422
    corrected = batch(herald, tenant, "fix-me")
    assert corrected.status_code == 202


def test_a_business_refusal_is_replayed_like_a_success(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant(balance="0")
    first = batch(herald, tenant, "broke")
    assert first.status_code == 402
    again = batch(herald, tenant, "broke")
    assert again.status_code == 402
    assert again.json() == first.json()


def test_a_key_is_kept_for_24_hours(make_herald: HeraldFactory) -> None:
    clock = ManualClock()
    herald = make_herald(workers=False, clock=clock)
    tenant = herald.tenant()
    first = batch(herald, tenant, "daily").json()
    clock.advance(hours=23, minutes=59)
    assert batch(herald, tenant, "daily").json() == first
    clock.advance(minutes=2)
    later = batch(herald, tenant, "daily").json()
    assert later["campaign_id"] != first["campaign_id"]
    clock.advance(hours=25)
    assert service.purge_expired(herald.container.db, clock) == 1


def test_a_key_longer_than_255_characters_is_a_validation_error(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    response = batch(herald, tenant, "k" * 256)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["fields"]
    assert batch(herald, tenant, "k" * 255).status_code == 202


def test_a_key_still_running_answers_409_in_every_dialect(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    caller = tenant.key_id  # idempotency keys belong to the authenticated key
    body = {"name": "x"}
    running = fingerprint("POST", "/v1/accounts/any/campaigns", "", json.dumps(body).encode())
    with herald.container.db.transaction() as session:  # a first request, still running
        service.begin(session, herald.container.clock, caller, "busy", running, timedelta(hours=1))
    headers = {**tenant.headers, "Idempotency-Key": "busy"}
    outreach = herald.client.post("/v1/accounts/any/campaigns", json=body, headers=headers)
    assert outreach.status_code == 409
    assert outreach.json()["success"] is False and outreach.json()["traceId"]
    assert "still being processed" in outreach.json()["error"]["message"]
    messaging = batch(herald, tenant, "busy")  # the same key for another request: 422
    assert messaging.status_code == 422
    assert messaging.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_fifty_concurrent_posts_with_one_key_create_exactly_one_campaign(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(batch_rate_limit="1000/minute")
    tenant = herald.tenant()
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: batch(herald, tenant, "storm"), range(50)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {202, 409}, statuses
    accepted = {a.json()["campaign_id"] for a in answers if a.status_code == 202}
    assert len(accepted) == 1
    assert campaign_ids(herald, tenant) == list(accepted)
