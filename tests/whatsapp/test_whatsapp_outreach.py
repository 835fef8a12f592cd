"""An outreach workflow over WhatsApp: each step a free-form text inside the lead's
24-hour window; the lead's reply (a WhatsApp inbound message) stops the sequence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outreach_kit import Desk, add_group, run_queue
from support import wait_until
from whatsapp_kit import WhatsAppDesk, close_desk, number, open_desk

STEPS: dict[str, Any] = {
    "steps": [
        {
            "type": "send",
            "channel": "WHATSAPP",
            "templates": {"en": "Hi {{ lead.firstName }}, one."},
        },
        {"type": "wait", "duration": "PT1H"},
        {
            "type": "send",
            "channel": "WHATSAPP",
            "templates": {"en": "Hi {{ lead.firstName }}, two."},
        },
        {"type": "wait", "duration": "PT1H"},
        {
            "type": "send",
            "channel": "WHATSAPP",
            "templates": {"en": "Hi {{ lead.firstName }}, three."},
        },
    ]
}


@pytest.fixture
def wa(db_url: str, tmp_path: Path) -> Iterator[WhatsAppDesk]:
    opened = open_desk(db_url, tmp_path / "data")
    yield opened
    close_desk(opened)


def test_a_three_step_whatsapp_workflow_stops_when_the_lead_replies(wa: WhatsAppDesk) -> None:
    desk = Desk(wa.herald, wa.tenant, add_group(wa.herald, wa.tenant, "Sales"))
    ana = number(100)
    wa.cloud.person_writes(ana.lstrip("+"), "Hi, send me your offers")  # opens the window
    [lead] = desk.import_leads({"phone": ana, "firstName": "Ana"})
    campaign_id = desk.start_with(STEPS, [lead])
    run_queue(wa.herald)
    wait_until(lambda: len(wa.cloud.sent) == 1)
    wa.clock.advance(hours=1)
    run_queue(wa.herald)
    wait_until(lambda: len(wa.cloud.sent) == 2)
    wa.cloud.person_writes(ana.lstrip("+"), "Yes, call me tomorrow")
    wa.clock.advance(hours=1)
    run_queue(wa.herald)
    texts = [s.body["text"]["body"] for s in wa.cloud.sent]
    assert texts == ["Hi Ana, one.", "Hi Ana, two."]
    assert [p["state"] for p in desk.progress(campaign_id)] == ["replied"]
    conversation = [item["content"] for item in desk.conversation(lead)]
    assert "Yes, call me tomorrow" in conversation


def test_a_whatsapp_step_to_a_lead_outside_the_window_is_rejected_and_refunded(
    wa: WhatsAppDesk,
) -> None:
    desk = Desk(wa.herald, wa.tenant, add_group(wa.herald, wa.tenant, "Sales"))
    [lead] = desk.import_leads({"phone": number(101), "firstName": "Bo"})
    before = wa.herald.balance(wa.tenant)
    desk.start_with(STEPS, [lead])
    run_queue(wa.herald)
    [message] = desk.sent()
    assert (message["status"], message["error_code"]) == ("REJECTED", "WHATSAPP_WINDOW_CLOSED")
    assert message["is_refunded"] is True
    assert wa.herald.balance(wa.tenant) == before
    assert wa.cloud.sent == []


def _templated(first_name: str = "{{ lead.firstName }}") -> dict[str, Any]:
    """Three WhatsApp steps, each with a free-form text and the template sent outside the
    lead's window (the lead's first name fills the template's first parameter)."""

    def step(word: str) -> dict[str, Any]:
        return {
            "type": "send",
            "channel": "WHATSAPP",
            "templates": {"en": f"Hi {first_name}, {word}."},
            "template": {
                "name": "black_friday",
                "language": "en_US",
                "parameters": [first_name, "50%"],
            },
        }

    wait = {"type": "wait", "duration": "PT1H"}
    return {"steps": [step("one"), wait, step("two"), wait, step("three")]}


def test_a_template_step_reaches_a_lead_who_never_wrote_and_the_reply_stops_the_sequence(
    wa: WhatsAppDesk,
) -> None:
    desk = Desk(wa.herald, wa.tenant, add_group(wa.herald, wa.tenant, "Sales"))
    cy = number(102)
    [lead] = desk.import_leads({"phone": cy, "firstName": "Cy"})
    campaign_id = desk.start_with(_templated(), [lead])
    run_queue(wa.herald)
    wait_until(lambda: len(wa.cloud.sent) == 1)
    [first] = wa.cloud.sent
    assert first.body["type"] == "template"
    assert first.body["template"]["name"] == "black_friday"
    body = first.body["template"]["components"][0]["parameters"]
    assert [p["text"] for p in body] == ["Cy", "50%"]
    [message] = desk.sent()
    assert message["content"] == "Hi Cy, 50% off today only."
    assert message["cost"] == "0.080000"  # the template's category: MARKETING
    wa.cloud.person_writes(cy.lstrip("+"), "Tell me more")  # opens the window
    wa.clock.advance(hours=1)
    run_queue(wa.herald)
    assert len(wa.cloud.sent) == 1
    assert [p["state"] for p in desk.progress(campaign_id)] == ["replied"]
    conversation = [item["content"] for item in desk.conversation(lead)]
    assert conversation[:2] == ["Hi Cy, 50% off today only.", "Tell me more"]


def test_after_the_lead_replies_the_next_steps_go_free_form_inside_the_window(
    wa: WhatsAppDesk,
) -> None:
    desk = Desk(wa.herald, wa.tenant, add_group(wa.herald, wa.tenant, "Sales"))
    di = number(103)
    [lead] = desk.import_leads({"phone": di, "firstName": "Di"})
    campaign_id = desk.start_with(_templated(), [lead], autoCancelOnMessageReceived=False)
    run_queue(wa.herald)
    wait_until(lambda: len(wa.cloud.sent) == 1)
    wa.cloud.person_writes(di.lstrip("+"), "Go on")
    for sends in (2, 3):
        wa.clock.advance(hours=1)
        run_queue(wa.herald)
        wait_until(lambda sends=sends: len(wa.cloud.sent) == sends)  # type: ignore[misc]
    kinds = [s.body["type"] for s in wa.cloud.sent]
    assert kinds == ["template", "text", "text"]
    assert [s.body["text"]["body"] for s in wa.cloud.sent[1:]] == ["Hi Di, two.", "Hi Di, three."]
    costs = [m["cost"] for m in desk.sent()]
    assert costs == ["0.080000", "0.010000", "0.010000"]  # MARKETING, then SERVICE
    assert [p["state"] for p in desk.progress(campaign_id)] == ["completed"]


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ({"name": "no_such", "language": "en_US", "parameters": []}, "steps.0.template.name"),
        ({"name": "draft_offer", "language": "en_US"}, "steps.0.template.name"),
        (
            {"name": "black_friday", "language": "en_US", "parameters": ["x"]},
            "steps.0.template.parameters",
        ),
        (
            {"name": "order_shipped", "language": "en_US", "parameters": ["A-1"]},
            "steps.0.template.headerParameters",
        ),
    ],
)
def test_a_step_template_that_cannot_be_sent_is_refused_at_campaign_creation(
    wa: WhatsAppDesk, template: dict[str, Any], field: str
) -> None:
    desk = Desk(wa.herald, wa.tenant, add_group(wa.herald, wa.tenant, "Sales"))
    step = {"type": "send", "channel": "WHATSAPP", "templates": {"en": "Hi"}, "template": template}
    body = {"name": "Q", "senderId": wa.tenant.remitter_id, "workflow": {"steps": [step]}}
    answer = desk.call("POST", "/campaigns", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in str(error)


def test_only_whatsapp_steps_name_a_template(wa: WhatsAppDesk) -> None:
    desk = Desk(wa.herald, wa.tenant, add_group(wa.herald, wa.tenant, "Sales"))
    template = {"name": "black_friday", "language": "en_US", "parameters": ["a", "b"]}
    step = {"type": "send", "channel": "SMS", "templates": {"en": "Hi"}, "template": template}
    body = {"name": "Q", "senderId": wa.tenant.remitter_id, "workflow": {"steps": [step]}}
    answer = desk.call("POST", "/campaigns", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
