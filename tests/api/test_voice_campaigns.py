"""The voice API (seed 004) as a user meets it: agents, caller numbers, campaigns, their
fields, the status changes a user can ask for, leads from a CSV, auth and errors. The
dialer is off here (see test_voice_dialer.py for calls)."""

from __future__ import annotations

import re

import pytest

from herald.tenancy import service as tenancy
from support import HeraldFactory, RunningHerald
from voice_kit import Voice, number, start

SEED_FIELDS = {
    "id",
    "organization_id",
    "name",
    "agent_id",
    "from_phone_number",
    "status",
    "max_concurrent_calls",
    "schedule",
    "retry",
    "total_leads",
    "completed_calls",
    "pending_calls",
    "created_at",
}
SEED_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def idle(make_herald: HeraldFactory) -> RunningHerald:
    """A Herald without workers: campaigns stay as created."""
    return start(make_herald, workers=False)


def test_a_campaign_shows_every_field_of_the_seed(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    agent_id = voice.agent()
    response = voice.create(
        [number(1), number(2), {"phone_number": number(3), "name": "Ana"}],
        agent_id=agent_id,
        from_phone_number=voice.caller_number("+912234567890"),
        max_concurrent_calls=5,
        retry={"max_retries": 3, "retry_interval_minutes": 120},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    campaign = voice.show(created["id"])
    assert campaign == created
    assert set(campaign) >= SEED_FIELDS
    assert campaign["id"].startswith("cmp_") and campaign["agent_id"] == agent_id
    assert campaign["organization_id"].startswith("org_")
    assert campaign["name"] == "Q2 Lead Re-engagement"
    assert campaign["from_phone_number"] == "+912234567890"
    assert campaign["status"] == "active"
    assert campaign["max_concurrent_calls"] == 5
    assert campaign["schedule"] is None
    assert campaign["retry"] == {"max_retries": 3, "retry_interval_minutes": 120}
    assert (campaign["total_leads"], campaign["completed_calls"], campaign["pending_calls"]) == (
        3,
        0,
        3,
    )
    assert SEED_TIME.match(campaign["created_at"])


def test_campaigns_are_listed_newest_first_page_by_page(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    agent_id = voice.agent()
    ids = [voice.campaign([number(i)], agent_id=agent_id, name=f"C{i}") for i in range(3)]
    first = voice.get("/v1/campaigns", limit=2).json()
    assert [c["id"] for c in first["data"]] == ids[::-1][:2] and first["has_more"]
    second = voice.get("/v1/campaigns", limit=2, cursor=first["next_cursor"]).json()
    assert [c["id"] for c in second["data"]] == [ids[0]] and not second["has_more"]
    only_active = voice.get("/v1/campaigns", status="paused").json()
    assert only_active["data"] == []


def test_another_workspace_sees_404_for_a_campaign_that_is_not_its_own(
    idle: RunningHerald,
) -> None:
    owner = Voice(idle, idle.tenant())
    campaign_id = owner.campaign([number(1)])
    other = Voice(idle, idle.tenant(name="Other"))
    other.agent()
    for response in (
        other.get(f"/v1/campaigns/{campaign_id}"),
        other.patch(f"/v1/campaigns/{campaign_id}", {"status": "paused"}),
        other.get(f"/v1/campaigns/{campaign_id}/calls"),
        other.post(f"/v1/campaigns/{campaign_id}/leads", {"leads": [{"phone_number": number(9)}]}),
        other.get("/v1/campaigns/cmp_xyz789"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert other.get("/v1/campaigns").json()["data"] == []
    assert owner.show(campaign_id)["status"] == "active"


def test_a_key_without_the_scope_gets_403_and_a_wrong_key_401(idle: RunningHerald) -> None:
    tenant = idle.tenant()
    owner = Voice(idle, tenant)
    campaign_id = owner.campaign([number(1)])
    calls_only = Voice(idle, tenant, api_key=idle.key(tenant, (tenancy.VOICE_CALLS_READ,)))
    forbidden = calls_only.get(f"/v1/campaigns/{campaign_id}")
    assert forbidden.status_code == 403
    error = forbidden.json()["error"]
    assert error["code"] == "forbidden" and error["required_scope"] == "voice:campaigns:read"
    assert calls_only.get(f"/v1/campaigns/{campaign_id}/calls").status_code == 200
    for headers in ({}, {"Authorization": "Bearer hk_live_wrong"}, {"X-API-KEY": tenant.api_key}):
        response = idle.client.get(f"/v1/campaigns/{campaign_id}", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized"


def test_errors_use_this_dialects_envelope_and_leave_the_outreach_paths_alone(
    idle: RunningHerald,
) -> None:
    voice = Voice(idle, idle.tenant())
    missing = voice.get("/v1/campaigns/cmp_xyz789/nothing-here")
    body = missing.json()
    assert missing.status_code == 404
    assert set(body) == {"error"} and set(body["error"]) == {
        "code",
        "message",
        "status",
        "trace_id",
    }
    assert body["error"]["trace_id"] == missing.headers["X-Trace-Id"]
    outreach = voice.get("/v1/accounts/nothing/here")
    assert "error" in outreach.json() and outreach.json().get("success") is False


def test_every_broken_rule_is_named_in_a_422(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    agent_id = voice.agent()
    cases = [
        ({"max_concurrent_calls": 0}, "max_concurrent_calls"),
        ({"retry": {"max_retries": 11, "retry_interval_minutes": 5}}, "retry.max_retries"),
        ({"leads": [{"phone_number": number(1)}, {"phone_number": "12"}]}, "leads.1.phone_number"),
        ({"leads": [{"phone_number": number(1), "timezone": "Mars/Base"}]}, "leads.0.timezone"),
        ({"leads": []}, "leads"),
        ({"agent_id": "agt_xyz"}, "agent_id"),
        ({"from_phone_number": "+351219999999"}, "from_phone_number"),
        ({"calling_hours": {"start": "18:00", "end": "09:00"}}, "calling_hours"),
        ({"schedule": {"start_at": "2026-01-01T09:00:00"}}, "schedule.start_at"),
        ({"status": "running"}, "status"),
        ({"unknown": 1}, "unknown"),
    ]
    for fields, name in cases:
        leads = fields.pop("leads", [number(1)])
        response = voice.create(leads, **{"agent_id": agent_id, **fields})
        assert response.status_code == 422, (fields, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and name in error["fields"], (fields, error)
    assert voice.get("/v1/campaigns").json()["data"] == []


def test_status_changes_follow_the_campaign_life_cycle(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    campaign_id = voice.campaign([number(1), number(2)])
    path = f"/v1/campaigns/{campaign_id}"

    def status(value: str) -> tuple[int, str]:
        response = voice.patch(path, {"status": value})
        body = response.json()
        return response.status_code, body.get("status") or body["error"]["code"]

    assert status("paused") == (200, "paused")
    assert voice.show(campaign_id)["pause_reason"] == "paused_by_user"
    assert status("paused") == (200, "paused")  # asking again changes nothing
    assert status("active") == (200, "active")
    assert status("running") == (422, "validation_error")
    assert status("completed") == (422, "validation_error")
    assert status("cancelled") == (200, "cancelled")
    cancelled = voice.show(campaign_id)
    assert (cancelled["pending_calls"], cancelled["cancelled_leads"]) == (0, 2)
    assert status("active") == (409, "conflict")
    assert status("paused") == (409, "conflict")
    assert voice.patch(path, {"max_concurrent_calls": 9}).status_code == 409
    assert status("cancelled") == (200, "cancelled")


def test_concurrency_retry_rules_schedule_and_hours_can_be_changed(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    campaign_id = voice.campaign([number(1)])
    response = voice.patch(
        f"/v1/campaigns/{campaign_id}",
        {
            "max_concurrent_calls": 12,
            "retry": {"retry_interval_minutes": 30},
            "schedule": {"start_at": "2030-01-01T09:00:00Z"},
            "calling_hours": {"start": "09:00", "end": "18:00", "days": ["mon", "tue"]},
            "name": "Renamed",
        },
    )
    assert response.status_code == 200, response.text
    campaign = response.json()
    assert campaign["max_concurrent_calls"] == 12 and campaign["name"] == "Renamed"
    assert campaign["retry"] == {"max_retries": 0, "retry_interval_minutes": 30}
    assert campaign["schedule"] == {"start_at": "2030-01-01T09:00:00.000Z"}
    assert campaign["calling_hours"]["days"] == ["mon", "tue"]
    cleared = voice.patch(f"/v1/campaigns/{campaign_id}", {"schedule": None}).json()
    assert cleared["schedule"] is None and cleared["calling_hours"] is not None
    bad = voice.patch(f"/v1/campaigns/{campaign_id}", {"max_concurrent_calls": 1001})
    assert bad.status_code == 422


def test_a_draft_takes_leads_from_a_csv_file_and_is_then_launched(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    draft = voice.create([], status="draft")
    assert draft.status_code == 201, draft.text
    campaign_id = draft.json()["id"]
    assert draft.json()["status"] == "draft"
    launch = voice.patch(f"/v1/campaigns/{campaign_id}", {"status": "active"})
    assert launch.status_code == 409  # no leads yet
    assert voice.patch(f"/v1/campaigns/{campaign_id}", {"status": "paused"}).status_code == 409
    csv = (
        "Phone_Number,Name,Timezone,plan\n"
        f"{number(1)},Ana,,gold\n"
        f"{number(2)},Rui,Europe/Lisbon,silver\n"
        f"{number(1)},Ana again,,gold\n"
        "\n"
    )
    response = idle.client.post(
        f"/v1/campaigns/{campaign_id}/leads",
        content=csv.encode(),
        headers={**voice.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "campaign_id": campaign_id,
        "added": 2,
        "duplicates": 1,
        "total_leads": 2,
    }
    more = voice.post(
        f"/v1/campaigns/{campaign_id}/leads", {"leads": [{"phone_number": number(2)}]}
    )
    assert more.json()["added"] == 0 and more.json()["duplicates"] == 1
    launched = voice.patch(f"/v1/campaigns/{campaign_id}", {"status": "active"})
    assert launched.status_code == 200 and launched.json()["status"] == "active"


def test_a_csv_with_a_bad_row_adds_nothing_and_names_the_row(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    campaign_id = voice.create([], status="draft").json()["id"]
    path = f"/v1/campaigns/{campaign_id}/leads"
    headers = {**voice.headers, "Content-Type": "text/csv"}
    bad_row = idle.client.post(path, content=f"phone\n{number(1)}\nnot-a-number\n", headers=headers)
    assert bad_row.status_code == 422
    assert "leads.1.phone_number" in bad_row.json()["error"]["fields"]
    no_column = idle.client.post(path, content="name\nAna\n", headers=headers)
    assert no_column.status_code == 422 and "file" in no_column.json()["error"]["fields"]
    assert voice.show(campaign_id)["total_leads"] == 0


def test_agents_and_phone_numbers(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    agent_id = voice.agent(voicemail={"action": "leave_message", "message": "Call us back."})
    agent = voice.get(f"/v1/agents/{agent_id}").json()
    assert agent["voicemail"] == {"action": "leave_message", "message": "Call us back."}
    assert agent["max_call_duration_seconds"] == 300
    assert [a["id"] for a in voice.get("/v1/agents").json()["data"]] == [agent_id]
    twice = voice.post(
        "/v1/agents",
        {"name": "x", "greeting": "Hi", "message": "m", "outcome_labels": ["a", "a"]},
    )
    assert twice.status_code == 422
    assert voice.post("/v1/phone-numbers", {"phone_number": "0211234567"}).status_code == 422
    added = voice.post("/v1/phone-numbers", {"phone_number": "+351 21 123 4567", "label": "HQ"})
    assert added.status_code == 201
    assert added.json()["phone_number"] == "+351211234567" and added.json()["country"] == "PT"
    again = voice.post("/v1/phone-numbers", {"phone_number": "+351211234567"})
    assert again.status_code == 409
    other = Voice(idle, idle.tenant(name="Other"))
    assert other.get(f"/v1/agents/{agent_id}").status_code == 404
    assert other.get("/v1/phone-numbers").json()["data"] == []


def test_the_openapi_document_describes_the_voice_routes_and_their_errors(
    idle: RunningHerald,
) -> None:
    spec = idle.client.get("/openapi.json").json()
    campaign = spec["paths"]["/v1/campaigns/{campaign_id}"]
    assert set(campaign) >= {"get", "patch"}
    assert campaign["get"]["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/VoiceErrorEnvelope"
    }
    assert "/v1/campaigns/{campaign_id}/calls" in spec["paths"]
    leads = spec["paths"]["/v1/campaigns/{campaign_id}/leads"]["post"]["requestBody"]
    assert set(leads["content"]) == {"application/json", "text/csv"}
    schemas = spec["components"]["schemas"]
    assert leads["content"]["application/json"]["schema"]["properties"]["leads"]["items"] == {
        "$ref": "#/components/schemas/VoiceLeadIn"
    }
    assert "VoiceLeadIn" in schemas and "VoiceErrorEnvelope" in schemas
