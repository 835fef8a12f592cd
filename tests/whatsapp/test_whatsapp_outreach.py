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
