"""X-API-KEY, scopes, tenant isolation and the error envelope of the messaging API."""

from __future__ import annotations

import re
import uuid

import pytest

from herald.kit.ids import new_id
from herald.tenancy import service as tenancy
from support import RunningHerald, wait_until

NUMBERS = ["+244990000001", "+244990000002"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
INVALID_KEY = "The provided API key is invalid or has been revoked."  # seed 003
MISSING_KEY = "No API key: this API expects it in the X-API-KEY header."
ENVELOPE_KEYS = {"code", "message", "status", "trace_id", "timestamp", "service"}


def _assert_envelope(body: dict[str, object], code: str, status: int) -> None:
    assert set(body) == ENVELOPE_KEYS | ({"fields"} if status == 422 else set())
    assert body["code"] == code
    assert body["status"] == status
    assert re.fullmatch(r"[0-9a-f]{32}", str(body["trace_id"]))
    assert TIMESTAMP.match(str(body["timestamp"]))


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-API-KEY": "hk_live_not-a-real-key"}, INVALID_KEY),
        ({}, MISSING_KEY),
        ({"X-API-KEY": ""}, MISSING_KEY),
        ({"Authorization": "Bearer hk_live_in-the-wrong-header"}, MISSING_KEY),
    ],
)
def test_an_unknown_key_is_401_and_a_missing_one_names_the_header(
    herald: RunningHerald, headers: dict[str, str], message: str
) -> None:
    response = herald.client.get(f"/c/v1/campaigns/{new_id()}", headers=headers)
    assert response.status_code == 401
    body = response.json()
    _assert_envelope(body, "AUTH_INVALID_API_KEY", 401)
    assert body["message"] == message


def test_a_revoked_key_is_401(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    with herald.container.db.transaction() as session:
        tenancy.revoke_key(session, herald.container.clock, uuid.UUID(tenant.key_id))
    assert herald.batch(tenant, NUMBERS).status_code == 401


@pytest.mark.parametrize(
    ("scope_given", "method", "path"),
    [
        (tenancy.CAMPAIGN_READ, "post", "/c/v1/campaigns/batch"),
        (tenancy.CAMPAIGN_SEND, "get", "/c/v1/campaigns"),
        (tenancy.CAMPAIGN_READ, "get", "/c/v1/messages"),
        (tenancy.MESSAGES_READ, "post", "/c/v1/messages"),
    ],
)
def test_a_key_without_the_required_scope_is_403(
    herald: RunningHerald, scope_given: str, method: str, path: str
) -> None:
    tenant = herald.tenant()
    key = herald.key(tenant, (scope_given,))
    response = herald.client.request(method, path, headers={"X-API-KEY": key}, json={})
    assert response.status_code == 403
    _assert_envelope(response.json(), "AUTH_INSUFFICIENT_SCOPE", 403)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/c/v1/campaigns/{id}", "campaign_id"),
        ("/c/v1/messages/{id}", "message_id"),
    ],
)
@pytest.mark.parametrize(
    "bad_id", ["123", "6f1c2b1e-2d4b-4c7a-9f0e-3a5b7c9d1e2f", "019b4b56-e704-7c30-83a0"]
)
def test_a_malformed_or_non_v7_path_id_is_422_naming_the_field(
    herald: RunningHerald, path: str, field: str, bad_id: str
) -> None:
    tenant = herald.tenant()
    response = herald.client.get(path.format(id=bad_id), headers=tenant.headers)
    body = response.json()
    _assert_envelope(body, "VALIDATION_ERROR", 422)
    assert body["fields"] == {
        field: "Value must conform to a valid UUID v7 format rule pattern structure."
    }


def test_another_tenants_campaign_and_messages_are_not_found(herald: RunningHerald) -> None:
    owner, stranger = herald.tenant(), herald.tenant(name="Stranger")
    campaign_id = herald.batch(owner, NUMBERS).json()["campaign_id"]
    wait_until(lambda: herald.campaign(owner, campaign_id)["status"] == "COMPLETED")
    message_id = herald.messages(owner)[0]["id"]

    response = herald.client.get(f"/c/v1/campaigns/{campaign_id}", headers=stranger.headers)
    assert response.status_code == 404
    body = response.json()
    _assert_envelope(body, "NOT_FOUND", 404)
    assert body["message"] == "The requested campaign resource tracking profile could not be found."
    response = herald.client.get(f"/c/v1/messages/{message_id}", headers=stranger.headers)
    assert response.json()["message"] == "The requested message resource could not be found."
    assert herald.messages(stranger) == []
    assert herald.client.get("/c/v1/campaigns", headers=stranger.headers).json()["data"] == []
    cancel = herald.client.post(f"/c/v1/campaigns/{campaign_id}/cancel", headers=stranger.headers)
    assert cancel.status_code == 404


def test_a_traceparent_trace_id_is_echoed_in_the_error(herald: RunningHerald) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = herald.client.get(
        f"/c/v1/campaigns/{new_id()}",
        headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    assert response.json()["trace_id"] == trace
    assert response.headers["X-Trace-Id"] == trace


def test_health_and_readiness(herald: RunningHerald) -> None:
    assert herald.client.get("/healthz").json() == {"status": "ok"}
    assert herald.client.get("/readyz").json() == {"status": "ok"}


def test_openapi_documents_the_messaging_routes(herald: RunningHerald) -> None:
    paths = herald.client.get("/openapi.json").json()["paths"]
    for path in (
        "/c/v1/campaigns/batch",
        "/c/v1/campaigns",
        "/c/v1/campaigns/{campaign_id}",
        "/c/v1/messages",
        "/c/v1/messages/{message_id}",
    ):
        assert path in paths
    assert herald.client.get("/docs").status_code == 200
