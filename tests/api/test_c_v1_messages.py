"""Messages: the seed-002 shape, listing with filters and cursors, Send Message, refunds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from support import RunningHerald, Tenant, wait_until

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SEED_002_FIELDS = {
    "id", "organization_id", "billing_account_id", "campaign_id", "contact_id",
    "sms_remitter_id", "sms_remitter", "external_id", "channel_type", "channel_destination",
    "provider_name", "e164_format", "content", "trigger_source", "cost", "is_refunded",
    "status", "error_code", "read_at", "created_at", "updated_at",
}  # fmt: skip


def _completed_campaign(herald: RunningHerald, tenant: Tenant, numbers: list[str]) -> str:
    campaign_id: str = herald.batch(tenant, numbers).json()["campaign_id"]

    def settled() -> bool:
        tallies = herald.campaign(tenant, campaign_id)["data"]["messages"]
        return tallies["total"] > 0 and tallies["PENDING"] == 0 and tallies["SENT"] == 0

    wait_until(settled)
    return campaign_id


def test_a_message_has_every_field_of_the_seed_with_its_type(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    campaign_id = _completed_campaign(herald, tenant, ["+244923000001", "+244923000002"])
    message = herald.messages(tenant, campaign_id=campaign_id)[0]
    one = herald.client.get(f"/c/v1/messages/{message['id']}", headers=tenant.headers).json()
    assert one == message
    assert set(one) == SEED_002_FIELDS
    for key in ("id", "organization_id", "billing_account_id", "campaign_id", "sms_remitter_id"):
        assert UUID7.match(one[key]), key
    assert one["sms_remitter"] == {"id": tenant.remitter_id, "name": "Herald"}
    assert one["cost"] == "0.050000"
    assert one["channel_type"] == "SMS"
    assert one["channel_destination"] == "UNITEL"
    assert one["provider_name"] == "SIMULATOR"
    assert one["status"] == "DELIVERED"
    assert one["is_refunded"] is False
    assert one["trigger_source"] == "API"
    assert TIMESTAMP.match(one["created_at"]) and TIMESTAMP.match(one["updated_at"])


def test_message_parts_are_listed_for_the_owner_only(herald: RunningHerald) -> None:
    owner, stranger = herald.tenant(), herald.tenant(name="Stranger")
    campaign_id = _completed_campaign(herald, owner, ["+244923000001", "+244923000002"])
    message_id = herald.messages(owner, campaign_id=campaign_id)[0]["id"]
    path = f"/c/v1/messages/{message_id}/parts"
    # The built-in simulator sends a message as one part (SMPP: tests/e2e/test_smpp_*).
    [part] = herald.client.get(path, headers=owner.headers).json()["data"]
    assert (part["part_number"], part["parts_total"], part["status"]) == (1, 1, "DELIVERED")
    refused = herald.client.get(path, headers=stranger.headers)
    assert refused.status_code == 404
    assert refused.json()["code"] == "NOT_FOUND"


def test_failed_messages_are_refunded_exactly_once(herald: RunningHerald) -> None:
    tenant = herald.tenant(balance="1")
    numbers = ["+244923000001", "+244923000666", "+244923000997", "+244923000998", "+244923000999"]
    campaign_id = _completed_campaign(herald, tenant, numbers)
    outcome = {
        m["e164_format"][-4:]: (m["status"], m["error_code"], m["is_refunded"])
        for m in herald.messages(tenant, campaign_id=campaign_id)
    }
    assert outcome == {
        "0001": ("DELIVERED", None, False),
        "0666": ("REJECTED", "SIM_REJECTED", True),
        "0997": ("FAILED", "SIM_FAILED", True),
        "0998": ("EXPIRED", "SIM_EXPIRED", True),
        "0999": ("UNDELIVERED", "SIM_UNDELIVERED", True),
    }
    assert herald.balance(tenant) == 1_000_000 - 50_000
    assert herald.ledger_balances(tenant)
    cost = herald.campaign(tenant, campaign_id)["data"]["cost"]
    assert cost == {"estimated": "0.250000", "charged": "0.250000", "refunded": "0.200000"}


def test_list_messages_filters_by_status_number_campaign_and_time(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    first = _completed_campaign(herald, tenant, ["+244923000001", "+244923000999"])
    second = _completed_campaign(herald, tenant, ["+244923000002", "+244923000003"])
    assert len(herald.messages(tenant)) == 4
    assert len(herald.messages(tenant, campaign_id=second)) == 2
    undelivered = herald.messages(tenant, status="UNDELIVERED")
    assert [m["e164_format"] for m in undelivered] == ["+244923000999"]
    assert [m["campaign_id"] for m in herald.messages(tenant, e164_format="+244923000001")] == [
        first
    ]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert herald.messages(tenant, created_from=future) == []
    assert len(herald.messages(tenant, created_to=future)) == 4


def test_list_messages_walks_every_page_once_newest_first(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    numbers = [f"+24492300{i:04d}" for i in range(1, 8)]
    _completed_campaign(herald, tenant, numbers)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = herald.client.get("/c/v1/messages", params=params, headers=tenant.headers).json()
        seen += [m["id"] for m in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        if not page["pagination"]["has_more"]:
            break
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_list_campaigns_pages_newest_first(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    ids = [herald.batch(tenant, ["+244923000001", "+244923000002"]).json()["campaign_id"]]
    ids.append(herald.batch(tenant, ["+244923000001", "+244923000002"]).json()["campaign_id"])
    page = herald.client.get("/c/v1/campaigns?limit=1", headers=tenant.headers).json()
    assert [c["id"] for c in page["data"]] == [ids[1]]
    assert page["pagination"]["has_more"] is True
    cursor = page["pagination"]["next_cursor"]
    page = herald.client.get(f"/c/v1/campaigns?limit=1&cursor={cursor}", headers=tenant.headers)
    assert [c["id"] for c in page.json()["data"]] == [ids[0]]


def test_send_message_bills_at_once_and_delivers(herald: RunningHerald) -> None:
    tenant = herald.tenant(balance="1")
    response = herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "channel_type": "SMS",
            "content": "Your validation protocol code is 99201.",
            "recipient": "923000001",
            "country_alpha2": "AO",
            "external_id": "client_ref_981242",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 202, response.text
    message = response.json()
    assert message["status"] == "PENDING"
    assert message["campaign_id"] is None
    assert message["external_id"] == "client_ref_981242"
    assert message["e164_format"] == "+244923000001"
    assert herald.balance(tenant) == 1_000_000 - 50_000
    wait_until(
        lambda: (
            herald.client.get(f"/c/v1/messages/{message['id']}", headers=tenant.headers).json()[
                "status"
            ]
            == "DELIVERED"
        )
    )


def test_send_message_to_an_invalid_number_is_422(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "channel_type": "SMS",
            "content": "hi",
            "recipient": "1234567",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert "recipient" in response.json()["fields"]
    assert herald.balance(tenant) == 100_000_000


def test_send_message_without_funds_is_402(herald: RunningHerald) -> None:
    tenant = herald.tenant(balance="0")
    response = herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "channel_type": "SMS",
            "content": "hi",
            "recipient": "+244923000001",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 402
    assert herald.messages(tenant) == []
