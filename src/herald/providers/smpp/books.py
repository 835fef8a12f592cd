"""The database side of one SMPP connection: what it submitted (parts and their carrier ids),
what the SMSC delivered (receipts, replies), and the settlement of whole messages.

Everything here runs on threads that may block (a dispatch worker, the connection's database
thread), never on the connection's event loop. Recording answers and recording receipts take
one lock, so that inside one process a receipt and the answer naming its id cannot commit
side by side unseen by each other; across processes `reconcile` catches what slipped through.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from sqlalchemy.orm import Session

from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.base import Inbound, InboundSink, Receipt
from herald.providers.smpp import codec, deliveries, ledger, mo, repository

log = structlog.get_logger(__name__)

# Applies whole-message outcomes in the caller's transaction
# (herald.messaging.settle.apply_receipts).
Settlement = Callable[[Session, Sequence[Receipt]], None]


class Books:
    def __init__(
        self,
        name: str,
        db: Database,
        clock: Clock,
        settlement: Settlement,
        inbound: InboundSink | None,
    ) -> None:
        self._name = name
        self._db = db
        self._clock = clock
        self._settlement = settlement
        self._inbound = inbound
        self._lock = threading.Lock()

    def known_parts(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        """Parts recorded on earlier tries of these messages."""
        if not message_ids:
            return {}
        with self._db.reading() as session:
            return repository.parts_of(session, message_ids)

    def record_submits(
        self, submitted: list[ledger.PartSubmitted], closed: list[uuid.UUID]
    ) -> None:
        if not submitted and not closed:
            return
        with self._lock, self._db.transaction() as session:
            repository.serialize_parts(session, self._name)
            finished = ledger.record_submits(session, self._clock, self._name, submitted, closed)
            self._settle(session, finished)

    def store_deliveries(self, pdus: list[codec.Pdu]) -> bool:
        """Store receipts and replies in one transaction; False if they could not be (the
        SMSC is then told to send them again)."""
        receipts: list[deliveries.PartReceipt] = []
        messages: list[deliveries.MobileOriginated] = []
        for pdu in pdus:
            if deliveries.is_intermediate(pdu):
                continue
            if deliveries.is_receipt(pdu):
                receipt = deliveries.read_receipt(pdu)
                if receipt is not None:
                    metrics.receipts_received.labels(self._name, receipt.status.value).inc()
                    receipts.append(receipt)
            else:
                messages.append(deliveries.read_mobile_originated(pdu))
        try:
            with self._lock, self._db.transaction() as session:
                repository.serialize_parts(session, self._name)
                if receipts:
                    finished = ledger.record_receipts(session, self._clock, self._name, receipts)
                    self._settle(session, finished)
                if messages:
                    self._take_replies(session, messages)
        except Exception:
            log.exception("smpp.deliveries_not_stored", connection=self._name, count=len(pdus))
            return False
        return True

    def _take_replies(self, session: Session, messages: list[deliveries.MobileOriginated]) -> None:
        now = self._clock.now()
        replies = []
        for message in messages:
            whole = mo.reassemble(session, self._name, message, now)
            if whole is not None:
                replies.append(
                    Inbound(self._name, whole.source, whole.destination, whole.text, now)
                )
        if replies and self._inbound is not None:
            self._inbound(session, replies)

    def reconcile(self) -> None:
        with self._lock, self._db.transaction() as session:
            repository.serialize_parts(session, self._name)
            stale = self._clock.now() - mo.MO_PARTS_KEPT
            if dropped := repository.purge_mo_parts(session, self._name, stale):
                log.warning("smpp.unfinished_replies_dropped", connection=self._name, parts=dropped)
            self._settle(session, ledger.reconcile(session, self._clock, self._name))

    def _settle(self, session: Session, finished: list[ledger.Finished]) -> None:
        """Mark whole-message outcomes reported and settle them, in the caller's transaction."""
        if finished:
            now = self._clock.now()
            repository.mark_reported(session, [f.message_id for f in finished], now)
            self._settlement(session, [f.receipt for f in finished])
