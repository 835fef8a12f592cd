"""WhatsApp campaigns of many recipients through the whole pipeline (expand, dispatch,
the Cloud API, status webhooks), and Meta's throughput refusals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.kit.money import to_micros
from support import wait_until
from whatsapp_cloud import CloudConfig
from whatsapp_kit import WhatsAppDesk, all_messages, close_desk, number, open_desk

TEMPLATE = {"name": "black_friday", "language": "en_US", "parameters": ["friend", "30%"]}


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[WhatsAppDesk]:
    opened = open_desk(db_url, tmp_path / "data", CloudConfig(webhook_batch=200))
    yield opened
    close_desk(opened)


@pytest.fixture
def throttled(db_url: str, tmp_path: Path) -> Iterator[WhatsAppDesk]:
    """Meta takes 40 messages a second from this number; Herald tries 1,000."""
    opened = open_desk(db_url, tmp_path / "data", CloudConfig(throughput=40), rate=1000)
    yield opened
    close_desk(opened)


def test_a_1000_recipient_template_campaign_is_delivered_read_and_billed_by_category(
    desk: WhatsAppDesk,
) -> None:
    recipients = [number(n) for n in range(1000)]
    before = desk.herald.balance(desk.tenant)
    accepted = desk.batch(recipients, "Black Friday", template=TEMPLATE)
    assert accepted.status_code == 202, accepted.text
    campaign_id = accepted.json()["campaign_id"]
    desk.run(timeout=180)
    messages = desk.settled(1000, timeout=180)
    assert Counter(m["status"] for m in messages) == {"DELIVERED": 1000}
    assert {m["content"] for m in messages} == {"Hi friend, 30% off today only."}
    assert len({s.to for s in desk.cloud.sent}) == len(desk.cloud.sent) == 1000
    wait_until(
        lambda: all(m["read_at"] for m in all_messages(desk.herald, desk.tenant)), timeout=120
    )
    assert desk.herald.balance(desk.tenant) == before - 1000 * to_micros("0.08")
    assert desk.herald.ledger_balances(desk.tenant)
    wait_until(lambda: desk.herald.campaign(desk.tenant, campaign_id)["status"] == "COMPLETED")


def test_throughput_refusals_130429_are_retried_with_nothing_lost_or_doubled(
    throttled: WhatsAppDesk,
) -> None:
    desk = throttled
    recipients = [number(n) for n in range(300)]
    accepted = desk.batch(recipients, "Hello", template=TEMPLATE)
    assert accepted.status_code == 202, accepted.text
    desk.run(timeout=240)
    messages = desk.settled(300, timeout=120)
    assert desk.cloud.refusals[130429] > 0  # Meta did refuse some
    assert Counter(m["status"] for m in messages) == {"DELIVERED": 300}
    assert sorted(s.to for s in desk.cloud.sent) == sorted(r.lstrip("+") for r in recipients)
    assert desk.herald.ledger_balances(desk.tenant)


@pytest.fixture
def paired(db_url: str, tmp_path: Path) -> Iterator[WhatsAppDesk]:
    """Meta takes one message every 6 seconds to one person (the pair rate)."""
    opened = open_desk(db_url, tmp_path / "data", CloudConfig(pair_interval=6.0))
    yield opened
    close_desk(opened)


def test_the_pair_rate_131056_sends_that_recipient_later_and_the_others_now(
    paired: WhatsAppDesk,
) -> None:
    desk = paired
    for _ in range(3):
        answer = desk.send(number(1), "x", template=TEMPLATE)
        assert answer.status_code == 202, answer.text
    desk.send(number(2), "x", template=TEMPLATE)
    desk.run(timeout=120)
    messages = desk.settled(4, timeout=120)
    assert Counter(m["status"] for m in messages) == {"DELIVERED": 4}
    assert desk.cloud.refusals[131056] >= 2
    assert Counter(s.to for s in desk.cloud.sent) == {
        number(1).lstrip("+"): 3,
        number(2).lstrip("+"): 1,
    }


def test_a_window_meta_says_is_closed_ends_the_message_rejected_131047_and_refunded(
    desk: WhatsAppDesk,
) -> None:
    person = number(3).lstrip("+")
    desk.cloud.person_writes(person, "hi")  # Herald sees the window open...
    desk.cloud.last_inbound[person] = 0.0  # ...Meta no longer does (it closed meanwhile)
    before = desk.herald.balance(desk.tenant)
    assert desk.send(number(3), "Still there?").status_code == 202
    desk.run()
    [message] = desk.settled(1)
    assert (message["status"], message["error_code"]) == ("REJECTED", "WHATSAPP_131047")
    assert message["is_refunded"] is True
    assert desk.herald.balance(desk.tenant) == before
