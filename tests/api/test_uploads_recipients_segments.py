"""CSV uploads are read strictly (a line wider than its header, a giant cell, a NUL or an
oversized file is refused naming it, never cut or crashed on); every recipient a batch
drops is listed with its reason; content longer than HERALD_MAX_SEGMENTS is refused."""

from __future__ import annotations

import csv
import uuid
from typing import Any

import pytest

from herald.inbound import service as inbound
from herald.kit import csvfile
from herald.tenancy import service as tenancy
from outreach_kit import open_desk, run_queue
from support import HeraldFactory, RunningHerald, wait_until
from voice_kit import Voice, number

GSM_SEGMENT = 153  # characters of GSM-7 text per part of a long SMS


@pytest.fixture
def idle(make_herald: HeraldFactory) -> RunningHerald:
    return make_herald(workers=False)


# -- CSV uploads ---------------------------------------------------------------------------

BAD_FILES = [
    ("phone_number,name\n{n1},Ana\n{n2},Rui,extra\n", "line 3", "Has 3 cells"),
    ("phone_number,name\n{n1},\x00Ana\n", "line 2", "NUL character"),
    (
        "phone_number,name\n{n1},Ana\n{n2}," + "x" * (csvfile.MAX_CELL + 1) + "\n",
        "line 3",
        "longer",
    ),
    ('phone_number,name\n{n1},"Ana\n', "line", "not valid CSV"),
]


@pytest.mark.parametrize(("text", "field", "problem"), BAD_FILES)
def test_a_voice_csv_with_a_bad_line_is_422_naming_it_and_adds_nothing(
    idle: RunningHerald, text: str, field: str, problem: str
) -> None:
    voice = Voice(idle, idle.tenant())
    campaign_id = voice.create([], status="draft").json()["id"]
    response = idle.client.post(
        f"/v1/campaigns/{campaign_id}/leads",
        content=text.format(n1=number(1), n2=number(2)).encode(),
        headers={**voice.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert any(name.startswith(field) and problem in message for name, message in fields.items())
    assert voice.show(campaign_id)["total_leads"] == 0


@pytest.mark.parametrize(("text", "field", "problem"), BAD_FILES)
def test_an_outreach_csv_with_a_bad_line_is_refused_naming_it_not_cut(
    idle: RunningHerald, text: str, field: str, problem: str
) -> None:
    desk = open_desk(idle)
    csv_text = text.replace("phone_number", "phone").format(n1="+244990000001", n2="+244990000002")
    response = desk.call(
        "POST",
        "/leads/import",
        content=csv_text.encode(),
        headers={**desk.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"] and problem in error["details"]
    assert desk.data("GET", "/leads")["items"] == []


def test_an_upload_larger_than_the_documented_size_is_refused(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    campaign_id = voice.create([], status="draft").json()["id"]
    big = b"phone_number,name\n" + b"+351920000007," + b"x" * csvfile.MAX_BYTES + b"\n"
    response = idle.client.post(
        f"/v1/campaigns/{campaign_id}/leads",
        content=big,
        headers={**voice.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert "5,000,000 bytes" in response.json()["error"]["fields"]["body"]
    desk = open_desk(idle)
    response = desk.call("POST", "/leads/import", content=big.replace(b"_number", b""))
    assert response.status_code == 400 and "5,000,000 bytes" in response.text


def test_a_csv_with_more_lines_than_allowed_is_refused(
    idle: RunningHerald, monkeypatch: pytest.MonkeyPatch
) -> None:
    from herald.outreach import leads

    monkeypatch.setattr(leads, "MAX_IMPORT", 2)
    desk = open_desk(idle)
    rows = "".join(f"+24499000000{i}\n" for i in range(1, 4))
    response = desk.call("POST", "/leads/import", content=f"phone\n{rows}".encode())
    assert response.status_code == 400 and "at most 2 lines" in response.text


def test_a_well_formed_csv_still_imports(idle: RunningHerald) -> None:
    voice = Voice(idle, idle.tenant())
    campaign_id = voice.create([], status="draft").json()["id"]
    lines = [["phone_number", "name", "plan"], [number(1), "Ana", "gold"], [number(2), "Rui"]]
    text = "\n".join(",".join(cells) for cells in lines) + "\n"
    response = idle.client.post(
        f"/v1/campaigns/{campaign_id}/leads",
        content=text.encode(),
        headers={**voice.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 2
    assert csv.field_size_limit() == csvfile.MAX_CELL


# -- recipients ----------------------------------------------------------------------------


def _dropped(
    herald: RunningHerald, headers: dict[str, str], campaign_id: str, **params: Any
) -> Any:
    path = f"/c/v1/campaigns/{campaign_id}/dropped-recipients"
    return herald.client.get(path, params=params, headers=headers)


def test_every_dropped_recipient_is_listed_with_its_reason(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    with herald.container.db.transaction() as session:
        inbound.suppress(
            session, herald.container.clock, uuid.UUID(tenant.organization_id), "+244990000009"
        )
    recipients = [
        "+244990000001",  # kept
        "244 990 000 001",  # the same number again
        "0000000",  # reads as a number of Angola (the default country), but none exists
        "+0000000",  # no numbering plan reads it
        "+244990000009",  # opted out
        "+244990000002",  # kept
    ]
    campaign_id = herald.batch(tenant, recipients).json()["campaign_id"]
    campaign = wait_until(
        lambda: (c := herald.campaign(tenant, campaign_id))["status"] == "COMPLETED" and c
    )
    assert campaign["status_note"].startswith("2 of 6 recipients accepted")
    body = _dropped(herald, tenant.headers, campaign_id).json()
    reasons = [(d["position"], d["recipient"], d["e164_format"], d["reason"]) for d in body["data"]]
    assert reasons == [
        (1, "244 990 000 001", "+244990000001", "DUPLICATE"),
        (2, "0000000", None, "INVALID_NUMBER"),
        (3, "+0000000", None, "NOT_A_PHONE_NUMBER"),
        (4, "+244990000009", "+244990000009", "OPTED_OUT"),
    ]
    assert body["pagination"] == {"limit": 50, "next_cursor": None, "has_more": False}


def test_dropped_recipients_page_with_a_cursor_and_stay_private(herald: RunningHerald) -> None:
    tenant, stranger = herald.tenant(), herald.tenant(name="Stranger")
    recipients = ["+244990000001", *(["+244990000001"] * 4), "+244912345678"]
    campaign_id = herald.batch(tenant, recipients).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] != "PROCESSING")
    first = _dropped(herald, tenant.headers, campaign_id, limit=3).json()
    assert [d["position"] for d in first["data"]] == [1, 2, 3]
    assert first["pagination"]["has_more"] is True
    cursor = first["pagination"]["next_cursor"]
    rest = _dropped(herald, tenant.headers, campaign_id, limit=3, cursor=cursor).json()
    assert [d["position"] for d in rest["data"]] == [4]
    assert _dropped(herald, stranger.headers, campaign_id).status_code == 404
    reader = herald.key(tenant, (tenancy.MESSAGES_READ,))
    assert _dropped(herald, {"X-API-KEY": reader}, campaign_id).status_code == 403


def test_the_dashboard_shows_the_dropped_recipients(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, ["+244990000001", "+244990000001"]).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    herald.sign_in(tenant.api_key)
    page = herald.client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert "Dropped recipients" in page and "DUPLICATE" in page


@pytest.mark.parametrize("code", ["ZZ", "AA"])
def test_a_country_no_numbering_plan_knows_is_422_in_every_dialect(
    idle: RunningHerald, code: str
) -> None:
    tenant = idle.tenant()
    batch = idle.batch(tenant, ["+244990000001", "+244990000002"], country_alpha2=code)
    assert "country_alpha2" in batch.json()["fields"]
    voice = Voice(idle, tenant)
    created = voice.create(["990000003"], default_country=code)
    assert "default_country" in created.json()["error"]["fields"]
    desk = open_desk(idle)
    response = desk.call("POST", "/leads", json={"leads": [{"phone": "1"}], "defaultCountry": code})
    assert response.status_code == 400 and "defaultCountry" in response.text


# -- content length ------------------------------------------------------------------------


def test_content_beyond_the_segment_limit_is_422_naming_the_limit(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    long = "x" * (GSM_SEGMENT * 10 + 1)  # 11 segments; the default limit is 10
    batch = herald.batch(tenant, ["+244990000001", "+244990000002"], content=long)
    assert batch.status_code == 422
    assert batch.json()["fields"] == {
        "content": "Is 11 SMS segments long; the most is 10 (HERALD_MAX_SEGMENTS). Shorten it."
    }
    single = herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "content": "x" * 10_000,
            "channel_type": "SMS",
            "recipient": "+244990000001",
        },
        headers=tenant.headers,
    )
    assert single.status_code == 422 and "66 SMS segments" in single.json()["fields"]["content"]
    assert herald.balance(tenant) == 100_000_000
    ok = herald.batch(tenant, ["+244990000001", "+244990000002"], content="x" * GSM_SEGMENT * 10)
    assert ok.status_code == 202


def test_the_segment_limit_is_a_setting(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False, max_segments=2)
    tenant = herald.tenant()
    response = herald.batch(tenant, ["+244990000001", "+244990000002"], content="ж" * 140)
    assert response.status_code == 422  # UCS-2: 67 characters a part, so 3 parts
    assert "the most is 2" in response.json()["fields"]["content"]


def test_an_outreach_template_too_long_even_without_lead_fields_is_refused(
    idle: RunningHerald,
) -> None:
    desk = open_desk(idle, balance="1000")
    static = "x" * (GSM_SEGMENT * 10 + 1)
    workflow = {"steps": [{"type": "send", "templates": {"en": static}}]}
    body = {"name": "Too long", "senderId": desk.tenant.remitter_id, "workflow": workflow}
    response = desk.call("POST", "/campaigns", json=body)
    assert response.status_code == 400
    assert "workflow.steps.0.templates.en: Is 11 SMS segments long" in response.text


def test_a_lead_whose_message_renders_too_long_fails_with_that_reason(
    idle: RunningHerald,
) -> None:
    desk = open_desk(idle, balance="1000")
    [short, long] = desk.import_leads(
        {"phone": "+244990000001", "firstName": "Ana"},
        {"phone": "+244990000002", "firstName": "A" * 100},
    )
    template = "Hi " + "{{ lead.firstName }}" * 16  # 1,603 characters for the second lead
    workflow = {"steps": [{"type": "send", "templates": {"en": template}}]}
    campaign_id = desk.start_with(workflow, [short, long])
    run_queue(idle)
    states = {p["leadId"]: (p["state"], p["errorCode"]) for p in desk.progress(campaign_id)}
    assert states[short][0] == "completed"
    assert states[long] == ("failed", "TOO_MANY_SEGMENTS")
