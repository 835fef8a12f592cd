"""Inputs no request can get past into a server error, on SQLite and PostgreSQL alike: a NUL
character in any text, dates without an offset or outside 2000–2099, formats explained in
plain words (never a regular expression), and a 401 that names the header each API reads.

The NUL and pattern walks derive their cases from /openapi.json, so a field or route added
tomorrow is covered the day it is added."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from httpx import Response

from herald.kit.ids import new_id
from outreach_kit import open_desk
from support import RunningHerald, Tenant

NUL = "a\x00b"
REGEX_HINTS = re.compile(r"[\^$\\]|\[[^\]]*\]|\{\d+,?\d*\}")
# Seed 003 prescribes pydantic's own text for a country_alpha2 that is not two capitals.
SEED_PATTERN_MESSAGES = {"String should match pattern '^[A-Z]{2}$'."}


# -- walking the published contract ------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [_resolve(spec, s) for s in schema[key] if s.get("type") != "null"]
            return options[0] if options else {}
    return schema


def _string_fields(
    spec: dict[str, Any], schema: dict[str, Any], path: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path, schema) of every string a body can hold; `0` stands for a list item and `k`
    for a key of a free-form object."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if depth > 6:
        return
    if kind == "string" and "enum" not in schema and "const" not in schema:
        yield path, schema
    elif kind == "array" and "items" in schema:
        yield from _string_fields(spec, schema["items"], (*path, "0"), depth + 1)
    elif kind == "object" or "properties" in schema:
        for name, child in schema.get("properties", {}).items():
            yield from _string_fields(spec, child, (*path, name), depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield from _string_fields(spec, extra, (*path, "k"), depth + 1)


def _nest(path: tuple[str, ...], value: Any) -> Any:
    for part in reversed(path):
        value = [value] if part == "0" else {part: value}
    return value


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        if not path.startswith(("/c/v1", "/v1")):
            continue
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, operation


def _json_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    found: dict[str, Any] | None = content.get("application/json", {}).get("schema")
    return found


def _concrete(path: str, group_id: str | None = None) -> str:
    if group_id:
        path = path.replace("{accountGroupId}", group_id)
    return re.sub(r"\{[^}]+\}", str(new_id()), path)


def _headers(path: str, tenant: Tenant) -> dict[str, str]:
    if path.startswith("/c/v1") or path.startswith("/v1/accounts"):
        return tenant.headers
    return {"Authorization": f"Bearer {tenant.api_key}"}


def _refused(response: Response) -> str:
    """The refusal as text, after checking it is each dialect's validation error."""
    assert response.status_code in (400, 422), (response.status_code, response.text)
    assert "VALIDATION_ERROR" in response.text.upper(), response.text
    return response.text


def _body_cases(spec: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    cases = []
    for method, path, operation in _operations(spec):
        schema = _json_schema(operation)
        if schema is not None:
            cases += [(method, path, p) for p, _ in _string_fields(spec, schema)]
    return cases


# -- NUL characters ----------------------------------------------------------------------


def test_a_nul_in_any_string_field_of_any_request_body_is_refused_naming_it(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    spec = herald.client.get("/openapi.json").json()
    cases = _body_cases(spec)
    assert len(cases) > 60  # every dialect's bodies, not a handful
    for method, path, field in cases:
        body = _nest(field, NUL)
        if field[-1] == "k":  # a NUL in the key of a free-form object, too
            body = _nest(field[:-1], {"k\x00": "v"})
        response = herald.client.request(
            method, _concrete(path), json=body, headers=_headers(path, tenant)
        )
        text = _refused(response)
        named = ".".join(p for p in field if p != "k") or "body"
        assert named in text, (method, path, field, text)
        assert "NUL character" in text


def test_a_nul_in_a_query_or_path_parameter_is_refused_naming_it(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    spec = herald.client.get("/openapi.json").json()
    checked = 0
    for method, path, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            schema = _resolve(spec, parameter.get("schema", {}))
            if parameter["in"] != "query" or schema.get("type") != "string":
                continue
            response = herald.client.request(
                method,
                _concrete(path),
                params={parameter["name"]: NUL},
                headers=_headers(path, tenant),
            )
            assert parameter["name"] in _refused(response)
            checked += 1
    assert checked >= 3
    response = herald.client.get("/c/v1/messages", params={"e164_format": NUL}, headers={})
    assert "e164_format" in _refused(response)  # even before the key is looked at
    response = herald.client.get("/v1/campaigns/cmp_a%00b", headers=_headers("/v1", tenant))
    assert "campaign_id" in _refused(response)


def test_complete_valid_requests_with_one_nul_store_nothing(herald: RunningHerald) -> None:
    """What reached PostgreSQL before and answered 500: a body valid in every other way."""
    from voice_kit import Voice

    desk = open_desk(herald)
    tenant = desk.tenant
    batch = herald.batch(tenant, ["+244990000001", "+244990000002"], name="Promo\x00")
    assert batch.json()["fields"] == {"name": "Must not contain the NUL character (U+0000)."}
    voice = Voice(herald, tenant)
    assert "greeting" in _refused(
        herald.client.post(
            "/v1/agents",
            json={"name": "A", "greeting": "Hi\x00", "message": "M"},
            headers=voice.headers,
        )
    )
    lead = {"phone_number": "+351912340900", "variables": {"plan": "gold\x00"}}
    assert "leads.0.variables.plan" in _refused(voice.create([lead]))
    imported = desk.call(
        "POST", "/leads", json={"leads": [{"phone": "+244990000001", "firstName": "Ana\x00"}]}
    )
    assert "leads.0.firstName" in _refused(imported)
    assert herald.client.get("/c/v1/campaigns", headers=tenant.headers).json()["data"] == []
    assert desk.data("GET", "/leads")["items"] == []


def test_a_nul_in_a_batch_recipient_names_the_item(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.batch(tenant, ["+244990000001", "+24499\x000000002"])
    assert response.json()["fields"] == {
        "recipients.1": "Must not contain the NUL character (U+0000)."
    }


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "text/plain"])
def test_a_nul_in_json_sent_with_another_content_type_is_refused_too(
    herald: RunningHerald, content_type: str | None
) -> None:
    from voice_kit import Voice

    voice = Voice(herald, herald.tenant())
    campaign_id = voice.campaign(["+351912340900"], status="draft")
    headers = dict(voice.headers)
    if content_type:
        headers["Content-Type"] = content_type
    body = b'{"leads": [{"phone_number": "+351912340901", "name": "A\\u0000"}]}'
    response = herald.client.post(
        f"/v1/campaigns/{campaign_id}/leads", content=body, headers=headers
    )
    assert "leads.0.name" in _refused(response)


# -- dates and times ---------------------------------------------------------------------

BAD_INSTANTS = [
    "2030-01-01T00:00:00",  # no offset
    "2030-01-01",  # a date alone
    "0001-01-01T00:00:00+14:00",  # cannot even be converted to UTC
    "9999-12-31T23:59:59-01:00",
    "1999-12-31T23:59:59+00:00",  # before the window
    "2100-01-01T00:00:00+00:00",  # after it
]


@pytest.mark.parametrize("value", BAD_INSTANTS)
def test_a_batch_scheduled_without_offset_or_outside_the_window_is_422(
    herald: RunningHerald, value: str
) -> None:
    tenant = herald.tenant()
    response = herald.batch(tenant, ["+244990000001", "+244990000002"], scheduled_at=value)
    assert response.status_code == 422
    message = response.json()["fields"]["scheduled_at"]
    assert "UTC offset" in message


def test_a_batch_scheduled_with_an_offset_inside_the_window_is_accepted(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    response = herald.batch(
        tenant, ["+244990000001", "+244990000002"], scheduled_at="2099-12-31T23:00:00-00:30"
    )
    assert response.status_code == 202, response.text
    campaign = herald.campaign(tenant, response.json()["campaign_id"])
    assert campaign["status"] == "SCHEDULED"
    assert campaign["scheduled_at"].startswith("2099-12-31T23:30:00")


@pytest.mark.parametrize("value", BAD_INSTANTS[:4])
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/c/v1/messages", "created_from"),
        ("/c/v1/messages", "created_to"),
        ("/c/v1/inbound-messages", "received_from"),
        ("/c/v1/inbound-messages", "received_to"),
    ],
)
def test_list_filters_take_dates_by_the_same_rule(
    herald: RunningHerald, path: str, parameter: str, value: str
) -> None:
    tenant = herald.tenant()
    response = herald.client.get(path, params={parameter: value}, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert parameter in response.json()["fields"]


@pytest.mark.parametrize("value", BAD_INSTANTS)
def test_a_voice_schedule_is_checked_on_create_and_on_patch(
    herald: RunningHerald, value: str
) -> None:
    from voice_kit import Voice

    voice = Voice(herald, herald.tenant())
    created = voice.create(["+351912340900"], schedule={"start_at": value})
    assert created.status_code == 422
    assert "schedule.start_at" in created.json()["error"]["fields"]
    campaign_id = voice.campaign(["+351912340900"], status="draft")
    patched = voice.patch(f"/v1/campaigns/{campaign_id}", {"schedule": {"start_at": value}})
    assert patched.status_code == 422
    assert "UTC offset" in patched.json()["error"]["fields"]["schedule.start_at"]


def test_every_date_input_in_the_contract_refuses_a_time_without_offset(
    herald: RunningHerald,
) -> None:
    """Found in /openapi.json, so a date input added later must follow the same rule."""
    desk = open_desk(herald)
    spec = herald.client.get("/openapi.json").json()
    checked = []
    for method, path, operation in _operations(spec):
        url = _concrete(path, desk.group_id)
        headers = _headers(path, desk.tenant)
        for parameter in operation.get("parameters", []):
            schema = _resolve(spec, parameter.get("schema", {}))
            if schema.get("format") == "date-time":
                params = {parameter["name"]: "2030-01-01T00:00:00"}
                response = herald.client.request(method, url, params=params, headers=headers)
                assert parameter["name"] in _refused(response)
                checked.append(parameter["name"])
        schema = _json_schema(operation)
        for field, child in _string_fields(spec, schema) if schema else ():
            if child.get("format") == "date-time":
                body = _nest(field, "2030-01-01T00:00:00")
                response = herald.client.request(method, url, json=body, headers=headers)
                assert "UTC offset" in _refused(response), (path, field)
                checked.append(".".join(field))
    assert {"created_from", "received_to", "scheduled_at", "schedule.start_at"} <= set(checked)


# -- formats in plain words --------------------------------------------------------------


def _patterned_fields(spec: dict[str, Any]) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for method, path, operation in _operations(spec):
        schema = _json_schema(operation)
        if schema is None:
            continue
        for field, child in _string_fields(spec, schema):
            if "pattern" in child and "k" not in field:
                yield method, path, field


def test_no_refusal_shows_a_regular_expression(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    tenant = desk.tenant
    spec = herald.client.get("/openapi.json").json()
    cases = list(_patterned_fields(spec))
    assert len(cases) >= 5
    for method, path, field in cases:
        response = herald.client.request(
            method,
            _concrete(path, desk.group_id),
            json=_nest(field, "!!"),
            headers=_headers(path, tenant),
        )
        text = _refused(response)
        for message in re.findall(r'"(?:[^"\\]|\\.)*"', text):
            message = message.strip('"').replace("\\\\", "\\")
            if message in SEED_PATTERN_MESSAGES:
                continue
            assert not REGEX_HINTS.search(message), (path, field, message)


def test_a_malformed_recipient_is_refused_in_plain_words(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.batch(tenant, ["+244990000001", "abc"])
    assert response.json()["fields"] == {
        "recipients.1": (
            "Must be a phone number: 7 to 30 digits, spaces, dashes or dots, "
            "with an optional + first."
        )
    }


@pytest.mark.parametrize(
    ("path", "header", "message"),
    [
        ("/c/v1/campaigns", "X-API-KEY", "in the X-API-KEY header."),
        ("/v1/agents", "Authorization", "as Authorization: Bearer <key>."),
        (
            "/v1/accounts/{group}/campaigns",
            "X-API-KEY",
            "in the X-API-KEY header or as Authorization: Bearer <key>.",
        ),
    ],
)
def test_a_missing_key_is_told_which_header_the_api_reads(
    herald: RunningHerald, path: str, header: str, message: str
) -> None:
    tenant = herald.tenant()
    url = path.format(group=new_id())
    wrong = {"X-API-KEY": tenant.api_key} if header == "Authorization" else {}
    if path.startswith("/c/v1"):
        wrong = {"Authorization": f"Bearer {tenant.api_key}"}
    for headers in ({}, wrong):
        response = herald.client.get(url, headers=headers)
        assert response.status_code == 401
        assert response.text.count("No API key: this API expects it ") == 1
        assert message in response.text
    unknown = {header: "Bearer hk_live_nope" if header == "Authorization" else "hk_live_nope"}
    response = herald.client.get(url, headers=unknown)
    assert response.status_code == 401
    assert "The provided API key is invalid or has been revoked." in response.text


def test_a_single_message_the_wallet_cannot_pay_is_402_in_its_own_words(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant(balance="0")
    response = herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "content": "Your code is 1234",
            "channel_type": "SMS",
            "recipient": "+244990000001",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 402
    assert response.json()["message"] == (
        "Your account balance is too low to send this message. Please top up your credits."
    )


def test_a_nul_in_an_idempotency_key_is_refused(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.client.post(
        "/c/v1/campaigns/batch",
        json={},
        headers={**tenant.headers, "Idempotency-Key": "key\x00one"},
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["fields"]["Idempotency-Key"]
