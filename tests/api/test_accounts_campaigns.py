"""GET /v1/accounts/{accountGroupId}/campaigns/{campaignId} exactly as seed 001, and the
campaign routes around it: the envelope, permissions and account-group isolation."""

from __future__ import annotations

from herald.tenancy import service as tenancy
from outreach_kit import THREE_STEPS, add_group, grant, open_desk
from support import HeraldFactory, RunningHerald

SEED_FIELDS = {
    "id",
    "name",
    "description",
    "status",
    "selectedLeadCount",
    "includeConversationHistory",
    "autoCancelOnMessageReceived",
    "outreachLanguage",
    "createdAt",
    "updatedAt",
    "startedAt",
    "rateLimitedUntil",
}


def test_a_campaign_reads_as_the_seed_shows_it_and_never_with_its_workflow(
    herald: RunningHerald,
) -> None:
    desk = open_desk(herald)
    campaign_id = desk.campaign(
        THREE_STEPS, description="Warm leads from the fair", outreachLanguage="en"
    )
    response = desk.call("GET", f"/campaigns/{campaign_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "error", "traceId"}
    assert body["success"] is True and body["error"] is None
    assert body["traceId"] == response.headers["X-Trace-Id"]
    campaign = body["data"]
    assert set(campaign) == SEED_FIELDS
    assert campaign["id"] == campaign_id
    assert campaign["name"] == "Q1 outreach"
    assert campaign["description"] == "Warm leads from the fair"
    assert campaign["status"] == "draft"
    assert campaign["selectedLeadCount"] == 0
    assert campaign["includeConversationHistory"] is False
    assert campaign["autoCancelOnMessageReceived"] is True
    assert campaign["outreachLanguage"] == "en"
    assert campaign["createdAt"].endswith("+00:00")
    assert campaign["startedAt"] is None
    assert campaign["rateLimitedUntil"] is None


def test_a_campaign_lists_counts_its_leads_and_shows_when_it_started(
    herald: RunningHerald,
) -> None:
    desk = open_desk(herald)
    leads = desk.import_leads({"phone": "+244990000001"}, {"phone": "+244990000002"})
    campaign_id = desk.start_with(THREE_STEPS, leads)
    listed = desk.data("GET", "/campaigns")
    assert [c["id"] for c in listed["items"]] == [campaign_id]
    assert listed["nextCursor"] is None
    campaign = listed["items"][0]
    assert campaign["status"] == "active"
    assert campaign["selectedLeadCount"] == 2
    assert campaign["startedAt"] is not None


def test_the_workflow_has_its_own_endpoint_and_is_frozen_once_started(
    herald: RunningHerald,
) -> None:
    desk = open_desk(herald)
    campaign_id = desk.campaign()
    assert desk.data("GET", f"/campaigns/{campaign_id}/workflow") == {"steps": []}
    workflow = {
        "steps": [
            {"type": "send", "templates": {"en": "Hello {{ lead.firstName }}"}},
            {
                "type": "wait",
                "duration": "PT36H",
                "sendingHours": {"start": "09:00", "end": "17:30", "days": [1, 2, 3, 4, 5]},
            },
            {"type": "send", "channel": "sms", "templates": {"en": "Still there?", "PT": "Olá?"}},
        ]
    }
    stored = desk.data("PUT", f"/campaigns/{campaign_id}/workflow", json=workflow)
    assert stored == {
        "steps": [
            {"type": "send", "channel": "SMS", "templates": {"en": "Hello {{ lead.firstName }}"}},
            {
                "type": "wait",
                "duration": "P1DT12H",
                "sendingHours": {"start": "09:00:00", "end": "17:30:00", "days": [1, 2, 3, 4, 5]},
            },
            {"type": "send", "channel": "SMS", "templates": {"en": "Still there?", "pt": "Olá?"}},
        ]
    }
    assert desk.data("GET", f"/campaigns/{campaign_id}/workflow") == stored
    lead = desk.import_leads({"phone": "+244990000001"})
    desk.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": lead})
    desk.data("POST", f"/campaigns/{campaign_id}/start")
    refused = desk.call("PUT", f"/campaigns/{campaign_id}/workflow", json=workflow)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "CONFLICT"


def test_a_workflow_is_checked_before_it_is_stored(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    campaign_id = desk.campaign()
    cases = [
        ({"steps": []}, "steps"),
        ({"steps": [{"type": "wait", "duration": "P1D"}]}, "send step"),
        ({"steps": [{"type": "send", "templates": {"en": "Hi {{ lead.firstName "}}]}, "compile"),
        (
            {"steps": [{"type": "send", "channel": "FAX", "templates": {"en": "Hi"}}]},
            "Unknown channel",
        ),
        ({"steps": [{"type": "send", "templates": {"fr": "Salut"}}]}, "outreach language 'en'"),
        ({"steps": [{"type": "send", "templates": {"en": "x"}}, {"type": "jump"}]}, "steps.1"),
    ]
    for workflow, expected in cases:
        response = desk.call("PUT", f"/campaigns/{campaign_id}/workflow", json=workflow)
        assert response.status_code == 400, (workflow, response.text)
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert expected in error["details"], (expected, error)


def test_a_campaign_starts_only_with_a_workflow_and_leads(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    bare = desk.campaign()
    response = desk.call("POST", f"/campaigns/{bare}/start")
    assert response.status_code == 400
    assert "workflow" in response.json()["error"]["details"]
    without_leads = desk.campaign(THREE_STEPS)
    response = desk.call("POST", f"/campaigns/{without_leads}/start")
    assert response.status_code == 400
    assert "leads" in response.json()["error"]["details"]


def test_invalid_input_is_a_400_validation_error_in_the_envelope(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    response = desk.call("POST", "/campaigns", json={"name": "", "senderId": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert "name" in body["error"]["details"] and "senderId" in body["error"]["details"]
    assert body["traceId"]
    bad_id = desk.call("GET", "/campaigns/507f1f77bcf86cd799439011")
    assert bad_id.status_code == 400
    assert "campaignId" in bad_id.json()["error"]["details"]


def test_an_unknown_campaign_is_a_404(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    response = desk.call("GET", "/campaigns/019aa000-0000-7000-8000-000000000001")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_missing_or_wrong_key_is_a_401(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    campaign_id = desk.campaign()
    for headers in ({}, {"X-API-KEY": "hk_live_wrong"}, {"Authorization": "Bearer nope"}):
        response = desk.call("GET", f"/campaigns/{campaign_id}", headers=headers)
        assert response.status_code == 401, headers
        body = response.json()
        assert body == {
            "success": False,
            "data": None,
            "error": {"code": "UNAUTHORIZED", "message": body["error"]["message"], "details": None},
            "traceId": body["traceId"],
        }


def test_a_bearer_token_is_as_good_as_the_api_key_header(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    campaign_id = desk.campaign()
    bearer = {"Authorization": f"Bearer {desk.tenant.api_key}"}
    assert desk.call("GET", f"/campaigns/{campaign_id}", headers=bearer).status_code == 200


def test_each_route_needs_its_permission(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    campaign_id = desk.campaign()
    leads_only = herald.key(desk.tenant, ("leads:read", "leads:write"))
    key_id = _key_id(herald, leads_only)
    grant(herald, desk.group_id, key_id)
    headers = {"X-API-KEY": leads_only}
    response = desk.call("GET", f"/campaigns/{campaign_id}", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert response.json()["error"]["details"] == "Required permission: campaigns:read."
    assert desk.call("POST", f"/campaigns/{campaign_id}/start", headers=headers).status_code == 403
    assert desk.call("GET", "/leads", headers=headers).status_code == 200
    reader = herald.key(desk.tenant, ("campaigns:read",))
    grant(herald, desk.group_id, _key_id(herald, reader))
    headers = {"X-API-KEY": reader}
    assert desk.call("GET", f"/campaigns/{campaign_id}", headers=headers).status_code == 200
    assert desk.call("POST", f"/campaigns/{campaign_id}/pause", headers=headers).status_code == 403


def test_a_key_reaches_only_the_account_groups_it_was_granted(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    desk = open_desk(herald)
    campaign_id = desk.campaign()
    # A second group of the same tenant, not granted to the key.
    other_group = add_group(herald, desk.tenant, "Support", grant=False)
    response = herald.client.get(f"/v1/accounts/{other_group}/campaigns", headers=desk.headers)
    assert response.status_code == 403
    assert "account_group_access" in response.json()["error"]["details"]
    # Another tenant's key, even with every permission, sees nothing of this group.
    rival = open_desk(herald, name="Rival")
    url = f"/v1/accounts/{desk.group_id}/campaigns/{campaign_id}"
    assert herald.client.get(url, headers=rival.headers).status_code == 403
    unknown = "/v1/accounts/019aa000-0000-7000-8000-000000000009/campaigns"
    assert herald.client.get(unknown, headers=rival.headers).status_code == 403
    # Once granted, the second group is reachable, and its campaigns are its own.
    grant(herald, other_group, desk.tenant.key_id)
    other_url = f"/v1/accounts/{other_group}/campaigns/{campaign_id}"
    assert herald.client.get(other_url, headers=desk.headers).status_code == 404
    groups = herald.client.get("/v1/accounts", headers=desk.headers).json()["data"]["items"]
    assert sorted(g["name"] for g in groups) == ["Sales", "Support"]


def test_too_many_requests_are_a_429_with_retry_after(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False, read_rate_limit="3/minute")
    desk = open_desk(herald)
    statuses = [desk.call("GET", "/campaigns").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = desk.call("GET", "/campaigns")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "RATE_LIMITED"


def test_an_unknown_route_under_the_dialect_answers_in_its_envelope(
    herald: RunningHerald,
) -> None:
    desk = open_desk(herald)
    response = desk.call("GET", "/nothing-here")
    assert response.status_code == 404
    assert response.json()["success"] is False


def _key_id(herald: RunningHerald, secret: str) -> str:
    with herald.container.db.reading() as session:
        return str(tenancy.authenticate(session, secret).key_id)
