"""HTTP as RFC 9110 and the published document say: 405 names the allowed methods, an
unknown path answers in the envelope of the API it is under, an undecodable body is a
validation error, an empty cursor is the first page, and the document declares what the
API answers (and nothing it never answers)."""

from __future__ import annotations

from typing import Any

import pytest

from outreach_kit import add_group
from support import RunningHerald


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/c/v1/webhooks", "GET, POST"),
        ("GET", "/c/v1/campaigns/batch", "POST"),  # not a campaign called "batch"
        ("DELETE", "/v1/campaigns/cmp_00000000000000000000000000", "GET, PATCH"),
        ("TRACE", "/healthz", "GET"),
    ],
)
def test_a_method_a_path_does_not_take_answers_405_with_allow(
    herald: RunningHerald, method: str, path: str, allow: str
) -> None:
    tenant = herald.tenant()
    response = herald.client.request(method, path, headers=tenant.headers)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("path", "envelope"),
    [
        ("/c/v1/nothing", lambda body: body["code"] == "NOT_FOUND"),
        ("/v1/nothing", lambda body: body["error"]["code"] == "not_found"),
        ("/v1/campaigns/x/nothing", lambda body: body["error"]["code"] == "not_found"),
        ("/v1/accounts/x/nothing", lambda body: body["error"]["code"] == "NOT_FOUND"),
    ],
)
def test_an_unknown_path_answers_in_the_envelope_of_the_api_it_is_under(
    herald: RunningHerald, path: str, envelope: Any
) -> None:
    response = herald.client.get(path)
    assert response.status_code == 404
    assert envelope(response.json())


def test_a_body_that_is_not_utf8_is_a_validation_error_in_each_dialect(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    group = add_group(herald, tenant, "Sales")
    headers = {
        "X-API-KEY": tenant.api_key,
        "Authorization": f"Bearer {tenant.api_key}",
        "Content-Type": "application/json",
    }
    undecodable = b"\xff\xfe{"
    voice = herald.client.post("/v1/agents", content=undecodable, headers=headers)
    assert voice.status_code == 422 and "body" in voice.json()["error"]["fields"]
    c_v1 = herald.client.post("/c/v1/webhooks", content=undecodable, headers=headers)
    assert c_v1.status_code == 422 and "body" in c_v1.json()["fields"]
    outreach = herald.client.post(
        f"/v1/accounts/{group}/campaigns", content=undecodable, headers=headers
    )
    assert outreach.status_code == 400
    assert outreach.json()["error"]["code"] == "VALIDATION_ERROR"


def test_an_empty_cursor_is_the_first_page(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    group = add_group(herald, tenant, "Sales")
    for path in ("/c/v1/campaigns", "/c/v1/messages", f"/v1/accounts/{group}/campaigns"):
        response = herald.client.get(path, params={"cursor": ""}, headers=tenant.headers)
        assert response.status_code == 200, (path, response.text)


def test_the_document_declares_each_apis_errors_in_its_own_envelope(
    herald: RunningHerald,
) -> None:
    document = herald.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in str(document)  # FastAPI's, never sent
    envelopes = {"/c/v1": "ErrorOut", "/v1/accounts": "ErrorEnvelope", "/v1/": "VoiceError"}
    for path, operations in document["paths"].items():
        envelope = next((e for p, e in envelopes.items() if path.startswith(p)), None)
        for method, operation in operations.items():
            responses = operation["responses"]
            if envelope is None:
                continue
            assert {"429", "500"} <= responses.keys(), (method, path)
            assert "Retry-After" in responses["429"]["headers"]
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert envelope in str(response["content"]), (method, path, status)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "pattern" in parameter["schema"], (method, path, parameter)
    outreach_get = document["paths"]["/v1/accounts/{accountGroupId}/campaigns"]["get"]
    assert "422" not in outreach_get["responses"]  # it says 400 VALIDATION_ERROR
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert all(kind.startswith("text/plain") for kind in metrics)
