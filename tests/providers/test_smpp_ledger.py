"""The books of an SMPP connection: receipts whose part is unknown when they arrive."""

from __future__ import annotations

from datetime import UTC, datetime

from herald.kit.clock import ManualClock
from herald.providers.base import ReceiptStatus
from herald.providers.smpp import ledger, repository
from herald.providers.smpp.deliveries import PartReceipt
from support import HeraldFactory


def test_a_receipt_whose_part_never_shows_up_is_dropped_after_a_week(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))
    db = make_herald(workers=False, clock=clock).container.db

    def receive(carrier_id: str) -> None:
        with db.transaction() as session:
            receipt = PartReceipt(carrier_id, ReceiptStatus.DELIVERED, None)
            assert ledger.record_receipts(session, clock, "carrier-a", [receipt]) == []

    receive("a1")  # nobody here ever sent a part with this id
    clock.advance(days=6)
    receive("b2")
    clock.advance(days=1, seconds=1)
    with db.transaction() as session:
        ledger.reconcile(session, clock, "carrier-a")

    with db.reading() as session:
        kept = repository.early_receipts(session, "carrier-a", None)
    assert [r.carrier_message_id for r in kept] == ["b2"]


def test_reconcile_sees_the_newest_early_receipts_first(make_herald: HeraldFactory) -> None:
    clock = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))
    db = make_herald(workers=False, clock=clock).container.db
    with db.transaction() as session:
        for n in range(3):
            receipt = PartReceipt(f"id{n}", ReceiptStatus.DELIVERED, None)
            ledger.record_receipts(session, clock, "carrier-a", [receipt])
            clock.advance(seconds=1)

    with db.reading() as session:
        newest = repository.early_receipts(session, "carrier-a", None, limit=2)
    assert [r.carrier_message_id for r in newest] == ["id2", "id1"]
