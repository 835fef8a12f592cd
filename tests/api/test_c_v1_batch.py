"""POST /c/v1/campaigns/batch, as seed 003 specifies it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import Response

from herald.kit.clock import ManualClock
from support import HeraldFactory, RunningHerald, wait_until

NUMBERS = ["+244990000001", "+244990000002", "990000003"]


def test_seed_example_is_accepted_and_completes(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.batch(tenant, NUMBERS)
    assert response.status_code == 202
    body = response.json()
    assert body == {
        "message": "Campaign accepted and is pending processing.",
        "campaign_id": body["campaign_id"],
    }
    campaign_id = body["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    campaign = herald.campaign(tenant, campaign_id)
    assert campaign["total_estimated_recipients"] == 3
    assert campaign["sms_remitter"] == {"id": tenant.remitter_id, "name": "Herald"}
    assert campaign["processed_at"] and campaign["completed_at"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["data"]["messages"]["DELIVERED"] == 3)
    numbers = sorted(m["e164_format"] for m in herald.messages(tenant, campaign_id=campaign_id))
    assert numbers == ["+244990000001", "+244990000002", "+244990000003"]


def _fields(response: Response) -> dict[str, str]:
    body = response.json()
    assert response.status_code == 422, body
    assert body["code"] == "VALIDATION_ERROR"
    assert body["message"] == "One or more fields failed validation."
    assert body["service"] == "core"
    fields: dict[str, str] = body["fields"]
    return fields


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"remitter_id": "not-a-uuid"}, "remitter_id", "UUID v7"),
        ({"remitter_id": "6f1c2b1e-2d4b-4c7a-9f0e-3a5b7c9d1e2f"}, "remitter_id", "UUID v7"),
        ({"content": ""}, "content", "at least 1 character"),
        ({"content": "x" * 10_001}, "content", "at most 10000 characters"),
        ({"channel_type": "EMAIL"}, "channel_type", "'SMS'"),
        ({"recipients": ["+244990000001"]}, "recipients", "at least 2 items"),
        ({"recipients": ["+244990000001"] * 1001}, "recipients", "at most 1000 items"),
        ({"recipients": ["+244990000001", "call me"]}, "recipients.1", "Must be a phone number"),
        ({"name": ""}, "name", "at least 1 character"),
        ({"name": "n" * 201}, "name", "at most 200 characters"),
        ({"country_alpha2": "ao"}, "country_alpha2", "String should match pattern '^[A-Z]{2}$'."),
    ],
)
def test_each_rule_of_the_seed_is_enforced_and_nothing_is_created(
    herald: RunningHerald, override: dict[str, object], field: str, message: str
) -> None:
    tenant = herald.tenant()
    override = dict(override)
    recipients = override.pop("recipients", NUMBERS)
    fields = _fields(herald.batch(tenant, recipients, **override))
    assert message in fields[field]
    assert herald.client.get("/c/v1/campaigns", headers=tenant.headers).json()["data"] == []


def test_more_than_a_thousand_recipients_reads_as_the_seed_shows(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    too_many = ["+244990000001"] * 1001
    fields = _fields(herald.batch(tenant, too_many, country_alpha2="ao"))
    assert fields == {
        "recipients": "Ensure this value has at most 1000 items.",
        "country_alpha2": "String should match pattern '^[A-Z]{2}$'.",
    }


def test_a_body_that_is_not_json_is_a_validation_error(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.client.post(
        "/c/v1/campaigns/batch",
        content=b"{not json",
        headers={**tenant.headers, "content-type": "application/json"},
    )
    assert "body" in _fields(response)


def test_insufficient_funds_is_402_and_changes_nothing(herald: RunningHerald) -> None:
    tenant = herald.tenant(balance="0.10")  # three messages cost 0.15 at the default price
    response = herald.batch(tenant, NUMBERS)
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "BILLING_INSUFFICIENT_FUNDS"
    assert body["service"] == "billing"
    assert body["status"] == 402
    assert herald.balance(tenant) == 100_000
    assert herald.client.get("/c/v1/campaigns", headers=tenant.headers).json()["data"] == []


def test_another_tenants_remitter_is_refused(herald: RunningHerald) -> None:
    mine, theirs = herald.tenant(), herald.tenant(name="Other")
    fields = _fields(herald.batch(mine, NUMBERS, remitter_id=theirs.remitter_id))
    assert "remitter_id" in fields


def test_invalid_and_duplicate_numbers_are_dropped_counted_and_not_charged(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant(balance="1")
    recipients = ["+244990000001", "244 990 000 001", "990000001", "1234567", "+244990000002"]
    campaign_id = herald.batch(tenant, recipients).json()["campaign_id"]
    campaign = wait_until(
        lambda: (c := herald.campaign(tenant, campaign_id))["status"] == "COMPLETED" and c
    )
    assert campaign["status_note"] == "2 of 5 recipients accepted; dropped 1 invalid, 2 duplicate."
    assert campaign["data"]["recipients"]["invalid"] == 1
    assert campaign["data"]["recipients"]["duplicate"] == 2
    assert campaign["data"]["messages"]["total"] == 2
    wait_until(lambda: herald.balance(tenant) == 1_000_000 - 2 * 50_000)
    assert herald.ledger_balances(tenant)


def test_price_is_segments_times_the_price_of_country_and_carrier(herald: RunningHerald) -> None:
    herald.set_price("15", country="AO", carrier="UNITEL")
    herald.set_price("9", country="AO")
    tenant = herald.tenant(balance="1000")
    two_segments = "a" * 161
    campaign_id = herald.batch(
        tenant, ["+244923000001", "+244990000001"], content=two_segments
    ).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    costs = {
        m["e164_format"]: (m["channel_destination"], m["cost"])
        for m in herald.messages(tenant, campaign_id=campaign_id)
    }
    assert costs == {
        "+244923000001": ("UNITEL", "30.000000"),
        "+244990000001": ("MOVICEL", "18.000000"),
    }


def test_operator_prefix_overrides_carrier_detection(herald: RunningHerald) -> None:
    from herald.routing import service as routing

    with herald.container.db.transaction() as session:
        routing.set_carrier_prefix(session, herald.container.clock, "+24499009", "Unitel")
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, ["+244990090990", "+244990000001"]).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    carriers = {
        m["e164_format"]: m["channel_destination"]
        for m in herald.messages(tenant, campaign_id=campaign_id)
    }
    assert carriers == {"+244990090990": "UNITEL", "+244990000001": "MOVICEL"}


def test_batch_route_allows_ten_requests_a_minute_per_key(herald: RunningHerald) -> None:
    tenant, other = herald.tenant(), herald.tenant(name="Other")
    statuses = [herald.batch(tenant, NUMBERS).status_code for _ in range(11)]
    assert statuses == [202] * 10 + [429]
    limited = herald.batch(tenant, NUMBERS)
    assert limited.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert herald.batch(other, NUMBERS).status_code == 202  # the limit is per key


def test_the_batch_rate_limit_is_configurable(make_herald: HeraldFactory) -> None:
    herald = make_herald(batch_rate_limit="2/minute")
    tenant = herald.tenant()
    assert [herald.batch(tenant, NUMBERS).status_code for _ in range(3)] == [202, 202, 429]


def test_a_future_scheduled_at_waits_as_scheduled_then_sends(make_herald: HeraldFactory) -> None:
    clock = ManualClock()
    herald = make_herald(clock=clock)
    tenant = herald.tenant()
    at = clock.now() + timedelta(hours=2)
    campaign_id = herald.batch(tenant, NUMBERS, scheduled_at=at.isoformat()).json()["campaign_id"]
    campaign = herald.campaign(tenant, campaign_id)
    assert campaign["status"] == "SCHEDULED"
    assert campaign["scheduled_at"] == at.isoformat(timespec="microseconds")
    clock.advance(hours=1)
    herald.container.wake_workers()
    assert herald.campaign(tenant, campaign_id)["status"] == "SCHEDULED"
    clock.advance(hours=1, seconds=1)
    herald.container.wake_workers()
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
