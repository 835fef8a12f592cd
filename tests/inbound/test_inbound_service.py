"""Recording replies without a carrier: who owns them, what they do to the suppression list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from herald.inbound import service as inbound
from herald.inbound.keywords import Keywords
from herald.providers.base import Inbound
from herald.settings import Settings
from herald.tenancy import service as tenancy
from support import RunningHerald, wait_until

KEYWORDS = Keywords.from_settings(Settings())
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _record(herald: RunningHerald, sender: str, to: str, text: str) -> inbound.InboundMessage:
    with herald.container.db.transaction() as session:
        return inbound.record_inbound(
            session, herald.container.clock, KEYWORDS, Inbound("TEST", sender, to, text, AT)
        )


def test_a_reply_to_a_sender_id_two_tenants_share_goes_to_the_one_that_wrote_last(
    herald: RunningHerald,
) -> None:
    first = herald.tenant(name="First")
    second = herald.tenant(name="Second")  # both use the default sender ID "Herald"
    herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": second.remitter_id,
            "content": "Hi",
            "channel_type": "SMS",
            "recipient": "+244990000001",
        },
        headers=second.headers,
    )
    row = _record(herald, "244990000001", "Herald", "Who is this?")
    assert str(row.organization_id) == second.organization_id
    assert str(_record(herald, "244990000002", "Herald", "?").organization_id) not in (
        first.organization_id,
        second.organization_id,
    )


def test_a_reply_to_a_number_nobody_owns_is_kept_but_told_to_no_tenant(
    herald: RunningHerald,
) -> None:
    row = _record(herald, "+244990000003", "99999", "STOP")
    assert row.organization_id is None
    assert row.action is None


def test_stop_then_start_adds_and_removes_the_number_once(herald: RunningHerald) -> None:
    tenant = herald.tenant(remitter_name="55123")
    organization_id = uuid.UUID(tenant.organization_id)
    _record(herald, "244990000004", "55123", "STOP")
    _record(herald, "244990000004", "55123", "STOP")  # twice: still one entry
    with herald.container.db.reading() as session:
        assert inbound.suppressed_numbers(session, organization_id) == {"+244990000004"}
        [entry] = inbound.list_suppressions(session, organization_id)
        assert entry.reason == "STOP"
    _record(herald, "244990000004", "55123", "start")
    with herald.container.db.reading() as session:
        assert inbound.suppressed_numbers(session, organization_id) == frozenset()


def test_a_suppressed_number_is_skipped_by_campaigns_and_never_charged(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    with herald.container.db.transaction() as session:
        inbound.suppress(
            session, herald.container.clock, uuid.UUID(tenant.organization_id), "+244990000001"
        )
        tenancy.create_remitter(
            session, herald.container.clock, uuid.UUID(tenant.organization_id), "Shop"
        )
    before = herald.balance(tenant)
    campaign_id = herald.batch(tenant, ["+244990000001", "+244990000002"]).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED", interval=0.2)
    campaign = herald.campaign(tenant, campaign_id)
    assert campaign["status_note"] == "1 of 2 recipients accepted; dropped 1 opted out."
    assert before - herald.balance(tenant) == 50_000


def test_a_reply_carrying_a_nul_character_is_kept_with_the_character_replaced(
    herald: RunningHerald,
) -> None:
    herald.tenant(remitter_name="55124")
    row = _record(herald, "244990000005", "55124", "Yes\x00please")
    assert row.content == "Yes\ufffdplease"
