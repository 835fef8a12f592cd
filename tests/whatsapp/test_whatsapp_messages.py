"""WhatsApp messages through /c/v1, against the test Cloud API: the 24-hour window,
templates and their parameters, prices by category, webhooks (signature, duplicates,
statuses, read time), STOP over WhatsApp."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.kit.money import to_micros
from support import wait_until
from whatsapp_kit import BUSINESS_NUMBER, WhatsAppDesk, close_desk, number, open_desk


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[WhatsAppDesk]:
    opened = open_desk(db_url, tmp_path / "data")
    yield opened
    close_desk(opened)


def test_a_free_form_text_outside_the_window_is_rejected_refunded_and_never_sent(
    desk: WhatsAppDesk,
) -> None:
    before = desk.herald.balance(desk.tenant)
    answer = desk.send(number(1), "Are you still interested?")
    assert answer.status_code == 202, answer.text
    message = answer.json()
    assert message["status"] == "REJECTED"
    assert message["error_code"] == "WHATSAPP_WINDOW_CLOSED"
    assert message["is_refunded"] is True
    desk.run()
    assert desk.cloud.sent == []
    assert desk.herald.balance(desk.tenant) == before


def test_a_free_form_reply_inside_the_window_is_sent_and_priced_as_service(
    desk: WhatsAppDesk,
) -> None:
    desk.cloud.person_writes(number(2).lstrip("+"), "Hi, what are your opening hours?")
    before = desk.herald.balance(desk.tenant)
    answer = desk.send(number(2), "We open at 9.")
    assert answer.status_code == 202, answer.text
    assert answer.json()["cost"] == "0.010000"
    desk.run()
    [message] = [m for m in desk.settled(1) if m["content"] == "We open at 9."]
    assert message["status"] == "DELIVERED"
    read = wait_until(lambda: desk.message(message["id"])["read_at"])
    assert desk.message(message["id"])["status"] == "DELIVERED"  # read is not a status
    assert read[:10] == message["created_at"][:10]  # Meta stamps whole seconds
    assert desk.cloud.sent[0].body["text"]["body"] == "We open at 9."
    assert desk.herald.balance(desk.tenant) == before - to_micros("0.01")


def test_a_template_goes_outside_the_window_with_its_parameters_and_its_category_price(
    desk: WhatsAppDesk,
) -> None:
    template = {"name": "black_friday", "language": "en_US", "parameters": ["Ana", "50%"]}
    answer = desk.send(number(3), "ignored", template=template)
    assert answer.status_code == 202, answer.text
    assert answer.json()["content"] == "Hi Ana, 50% off today only."
    assert answer.json()["cost"] == "0.080000"
    desk.run()
    assert desk.settled(1)[0]["status"] == "DELIVERED"
    [sent] = desk.cloud.sent
    assert sent.type == "template"
    assert sent.body["template"]["components"] == [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "50%"}],
        }
    ]


@pytest.mark.parametrize(
    ("template", "field"),
    [
        (
            {"name": "black_friday", "language": "en_US", "parameters": ["Ana"]},
            "template.parameters",
        ),
        ({"name": "no_such_template", "language": "en_US"}, "template.name"),
        ({"name": "draft_offer", "language": "en_US"}, "template.name"),
        (
            {"name": "order_shipped", "language": "en_US", "parameters": ["A1"]},
            "template.header_parameters",
        ),
    ],
)
def test_a_template_is_checked_before_anything_is_billed_or_sent(
    desk: WhatsAppDesk, template: dict[str, object], field: str
) -> None:
    before = desk.herald.balance(desk.tenant)
    answer = desk.send(number(4), "x", template=template)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["fields"]
    assert desk.herald.balance(desk.tenant) == before
    assert desk.cloud.requests == 0


def test_synced_templates_are_listed_in_the_api(desk: WhatsAppDesk) -> None:
    listed = desk.herald.client.get("/c/v1/whatsapp/templates", headers=desk.tenant.headers)
    assert listed.status_code == 200, listed.text
    by_name = {t["name"]: t for t in listed.json()["data"]}
    assert by_name["black_friday"]["category"] == "MARKETING"
    assert by_name["black_friday"]["parameters"] == 2
    assert by_name["order_shipped"]["header_parameters"] == 1
    assert by_name["draft_offer"]["status"] == "PENDING"


def test_a_webhook_with_a_tampered_or_missing_signature_is_refused_and_records_nothing(
    desk: WhatsAppDesk,
) -> None:
    client = desk.herald.client
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": desk.cloud.config.waba_id,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": BUSINESS_NUMBER},
                                "messages": [
                                    {
                                        "from": number(5).lstrip("+"),
                                        "id": "wamid.tampered",
                                        "timestamp": "1764650000",
                                        "type": "text",
                                        "text": {"body": "STOP"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    url = "/webhooks/whatsapp/wa-main"
    signed = desk.cloud.post_webhook  # signs with the app secret
    wrong = client.post(url, content=body, headers={"x-hub-signature-256": "sha256=" + "0" * 64})
    missing = client.post(url, content=body)
    assert wrong.status_code == 401
    assert missing.status_code == 401
    with pytest.raises(AssertionError, match="401"):
        signed(body, secret="not-the-app-secret")
    inbound = client.get("/c/v1/inbound-messages", headers=desk.tenant.headers)
    assert inbound.status_code == 200, inbound.text
    assert inbound.json()["data"] == []


def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(
    desk: WhatsAppDesk,
) -> None:
    client = desk.herald.client
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    good = client.get(
        "/webhooks/whatsapp/wa-main", params={**params, "hub.verify_token": "herald-verify"}
    )
    bad = client.get("/webhooks/whatsapp/wa-main", params={**params, "hub.verify_token": "x"})
    unknown = client.get(
        "/webhooks/whatsapp/nope", params={**params, "hub.verify_token": "herald-verify"}
    )
    assert (good.status_code, good.text) == (200, "1158201444")
    assert bad.status_code == 403
    assert unknown.status_code == 404


def test_a_webhook_delivered_twice_changes_nothing_the_second_time(desk: WhatsAppDesk) -> None:
    desk.cloud.undeliverable.add(number(6).lstrip("+"))
    template = {"name": "black_friday", "language": "en_US", "parameters": ["Bo", "10%"]}
    assert desk.send(number(6), "x", template=template).status_code == 202
    desk.run()
    [failed] = desk.settled(1)
    assert (failed["status"], failed["error_code"]) == ("REJECTED", "WHATSAPP_131026")
    balance = desk.herald.balance(desk.tenant)
    reply = desk.cloud.person_writes(number(7).lstrip("+"), "Hello there")
    for body in list(desk.cloud.webhooks_posted):
        desk.cloud.post_webhook(body)  # every webhook again: statuses and the reply
    assert desk.herald.balance(desk.tenant) == balance  # refunded once
    assert desk.herald.ledger_balances(desk.tenant)
    inbound = desk.herald.client.get("/c/v1/inbound-messages", headers=desk.tenant.headers)
    assert [m["content"] for m in inbound.json()["data"]] == ["Hello there"]
    assert reply in desk.cloud.webhooks_posted


def test_stop_over_whatsapp_opts_the_number_out(desk: WhatsAppDesk) -> None:
    desk.cloud.person_writes(number(8).lstrip("+"), "STOP")
    answer = desk.send(number(8), "One more thing")
    assert answer.status_code == 422, answer.text
    assert "opted out" in answer.json()["fields"]["recipient"]


def test_a_batch_mixes_open_and_closed_windows_per_recipient(desk: WhatsAppDesk) -> None:
    desk.cloud.person_writes(number(9).lstrip("+"), "hi")
    answer = desk.batch([number(9), number(10)], "Thanks for writing")
    assert answer.status_code == 202, answer.text
    desk.run()
    found = {m["e164_format"]: m for m in desk.settled(2)}
    assert found[number(9)]["status"] == "DELIVERED"
    assert found[number(10)]["status"] == "REJECTED"
    assert found[number(10)]["error_code"] == "WHATSAPP_WINDOW_CLOSED"
    assert [s.to for s in desk.cloud.sent] == [number(9).lstrip("+")]
    campaign = desk.herald.campaign(desk.tenant, answer.json()["campaign_id"])
    wait_until(lambda: desk.herald.campaign(desk.tenant, campaign["id"])["status"] == "COMPLETED")
