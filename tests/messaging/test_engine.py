"""The engine behind the API: expansion, leases, receipts and refunds, on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

from herald.billing import service as billing
from herald.kit.clock import ManualClock
from herald.messaging import parts, repository, settle
from herald.providers.base import Receipt, ReceiptStatus, Submission, SubmitResult
from support import HeraldFactory, RunningHerald, Tenant, wait_until

NUMBERS = [f"+24492300{i:04d}" for i in range(1, 6)]


def _message_ids(herald: RunningHerald, tenant: Tenant) -> dict[str, str]:
    return {m["e164_format"]: m["id"] for m in herald.messages(tenant)}


def test_a_wallet_drained_before_expansion_fails_the_campaign_without_charge(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant(balance="0.25")
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "channel_type": "SMS",
            "content": "x",
            "recipient": "+244923009999",
        },
        headers=tenant.headers,
    )
    herald.expand()
    campaign = herald.campaign(tenant, campaign_id)
    assert campaign["status"] == "FAILED"
    assert campaign["error_code"] == "BILLING_INSUFFICIENT_FUNDS"
    assert campaign["data"]["messages"]["total"] == 0
    assert herald.balance(tenant) == 200_000
    assert herald.ledger_balances(tenant)


def test_a_campaign_with_no_valid_number_fails(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, ["1234567", "7654321"]).json()["campaign_id"]
    herald.expand()
    campaign = herald.campaign(tenant, campaign_id)
    assert (campaign["status"], campaign["error_code"]) == ("FAILED", "NO_VALID_RECIPIENTS")
    assert herald.balance(tenant) == 100_000_000


def test_a_dead_workers_lease_runs_out_and_the_message_is_sent_once(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    herald = make_herald(workers=False, clock=clock)
    tenant = herald.tenant()
    herald.batch(tenant, NUMBERS)
    herald.expand()
    # A worker claims the messages and dies after the carrier took them, before recording it.
    c = herald.container
    lease = timedelta(seconds=c.settings.lease_seconds)
    with c.db.transaction() as session:
        claimed = repository.claim_messages(session, "dead-worker", clock.now(), lease, 100)
    list(
        herald.simulator.submit(
            [Submission(r.id, r.e164_format, "Herald", r.content, r.attempts) for r in claimed]
        )
    )
    assert herald.dispatch() == 0  # still leased by the dead worker
    clock.advance(seconds=c.settings.lease_seconds + 1)
    assert herald.dispatch() == 5  # taken over, attempt 2
    assert herald.simulator.submitted_count == 5  # the carrier recognised the repeats
    assert {m["status"] for m in herald.messages(tenant)} <= {"SENT", "DELIVERED"}


def test_a_receipt_that_beats_the_submit_response_is_kept_and_applied(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    c = herald.container
    early = Receipt("SIMULATOR", "early-ref", ReceiptStatus.UNDELIVERED, "E1", c.clock.now())
    settle.record_receipts(c.db, c.clock, [early])
    tenant = herald.tenant()
    herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": tenant.remitter_id,
            "channel_type": "SMS",
            "content": "x",
            "recipient": "+244923000001",
        },
        headers=tenant.headers,
    )
    lease = timedelta(seconds=60)
    with c.db.transaction() as session:
        [row] = repository.claim_messages(session, "w", c.clock.now(), lease, 10)
    # The carrier's answer to the submit is recorded after its receipt arrived.
    with c.db.transaction() as session:
        answer = SubmitResult.accepted(row.id, "early-ref")
        recorded = parts.record(session, "SIMULATOR", [answer], {}, c.clock.now())
        repository.mark_sent(session, [(row.id, "SIMULATOR", "early-ref")], "w", c.clock.now())
        settle.match_early_receipts(session, c.clock, "SIMULATOR", recorded)
    [message] = herald.messages(tenant)
    assert message["id"] == str(row.id)
    assert (message["status"], message["is_refunded"]) == ("UNDELIVERED", True)
    assert herald.balance(tenant) == 100_000_000


def test_receipts_move_states_forward_only_and_refund_once(herald: RunningHerald) -> None:
    tenant = herald.tenant(balance="1")
    herald.batch(tenant, NUMBERS[:2])
    wait_until(lambda: {m["status"] for m in herald.messages(tenant)} == {"DELIVERED"})
    c = herald.container
    with c.db.reading() as session:
        message = repository.get_message(
            session, uuid.UUID(tenant.organization_id), uuid.UUID(herald.messages(tenant)[0]["id"])
        )
        assert message is not None
        ref = message.provider_message_id
    assert ref is not None
    late = Receipt("SIMULATOR", ref, ReceiptStatus.UNDELIVERED, "LATE", c.clock.now())
    settle.record_receipts(c.db, c.clock, [late, late])
    assert {m["status"] for m in herald.messages(tenant)} == {"DELIVERED"}
    assert herald.balance(tenant) == 1_000_000 - 100_000


def test_refunding_the_same_reference_twice_moves_money_once(herald: RunningHerald) -> None:
    tenant = herald.tenant(balance="1")
    c = herald.container
    account = uuid.UUID(tenant.billing_account_id)
    refund = billing.Refund(account, 10_000, "refund:message:same", "test")
    with c.db.transaction() as session:
        assert billing.refund(session, c.clock, [refund, refund]) == 1
    with c.db.transaction() as session:
        assert billing.refund(session, c.clock, [refund]) == 0
    assert herald.balance(tenant) == 1_010_000
    assert herald.ledger_balances(tenant)
