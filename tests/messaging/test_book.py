"""The one book of parts and receipts (messaging.parts, messaging.settle), the same for every
provider: a message is final once each of its parts has its receipt, a receipt may come
before its part, and one whose part never comes is dropped after a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from herald.kit.clock import ManualClock
from herald.messaging import parts, repository, settle
from herald.messaging.models import EarlyReceipt
from herald.providers.base import Receipt, ReceiptStatus, SubmitResult
from support import HeraldFactory, RunningHerald, Tenant

LEASE = timedelta(seconds=60)


def _one_message_taken(herald: RunningHerald, tenant: Tenant, *refs: str) -> str:
    """A message claimed and accepted by the carrier with these part ids; its id."""
    c = herald.container
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
    with c.db.transaction() as session:
        [row] = repository.claim_messages(session, "w", c.clock.now(), LEASE, 10)
    with c.db.transaction() as session:
        answer = SubmitResult.accepted(row.id, *refs)
        recorded = parts.record(session, "carrier-a", [answer], {}, c.clock.now())
        repository.mark_sent(session, [(row.id, "carrier-a", refs[0])], "w", c.clock.now())
        settle.match_early_receipts(session, c.clock, "carrier-a", recorded)
    return str(row.id)


def _receipt(herald: RunningHerald, ref: str, status: ReceiptStatus, *aliases: str) -> None:
    c = herald.container
    error = None if status is ReceiptStatus.DELIVERED else "E1"
    receipt = Receipt("carrier-a", ref, status, error, c.clock.now(), aliases)
    settle.record_receipts(c.db, c.clock, [receipt])


def test_a_message_is_final_once_every_part_has_its_receipt_and_takes_the_gravest(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    message_id = _one_message_taken(herald, tenant, "p1", "p2", "p3")

    _receipt(herald, "p1", ReceiptStatus.DELIVERED)
    _receipt(herald, "p3", ReceiptStatus.UNDELIVERED)
    [message] = herald.messages(tenant)
    assert message["status"] == "SENT"  # part 2 has no receipt yet
    _receipt(herald, "p2", ReceiptStatus.DELIVERED)

    [message] = herald.messages(tenant)
    assert (message["id"], message["status"], message["is_refunded"]) == (
        message_id,
        "UNDELIVERED",
        True,
    )
    listed = herald.client.get(f"/c/v1/messages/{message_id}/parts", headers=tenant.headers)
    assert [p["status"] for p in listed.json()["data"]] == ["DELIVERED", "DELIVERED", "UNDELIVERED"]


def test_a_receipt_before_its_part_waits_under_any_spelling_of_the_id(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    _receipt(herald, "255", ReceiptStatus.DELIVERED, "ff", "FF")  # written in decimal

    _one_message_taken(herald, tenant, "ff")  # answered in hex

    [message] = herald.messages(tenant)
    assert message["status"] == "DELIVERED"
    with herald.container.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(EarlyReceipt)) == 0


def test_a_receipt_whose_part_never_comes_is_dropped_after_a_week(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))
    herald = make_herald(workers=False, clock=clock)
    c = herald.container
    _receipt(herald, "a1", ReceiptStatus.DELIVERED)  # nobody here sent a part with this id
    clock.advance(days=6)
    _receipt(herald, "b2", ReceiptStatus.DELIVERED)
    clock.advance(days=1, seconds=1)

    assert settle.purge_early_receipts(c.db, clock) == 1

    with c.db.reading() as session:
        kept = session.scalars(select(EarlyReceipt.provider_message_id)).all()
    assert kept == ["b2"]
