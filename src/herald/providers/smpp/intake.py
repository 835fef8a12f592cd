"""What the SMSC delivers (deliver_sm): receipts go to the receipt sink the connection was
started with (messaging matches them to parts and settles), replies to the inbound sink.

Both are stored before the SMSC is told they arrived, so an SMSC whose deliver_sm got no
answer sends it again and nothing is lost (a receipt applied twice changes nothing).
Everything here runs on the connection's database thread, never on its event loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import structlog
from sqlalchemy.orm import Session

from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.base import Inbound, InboundSink, Receipt, ReceiptSink
from herald.providers.smpp import codec, deliveries, mo, repository

log = structlog.get_logger(__name__)


class Intake:
    def __init__(self, name: str, db: Database, clock: Clock, inbound: InboundSink | None) -> None:
        self._name = name
        self._db = db
        self._clock = clock
        self._inbound = inbound
        self.receipts: ReceiptSink | None = None  # given at start

    def store(self, pdus: Sequence[codec.Pdu]) -> bool:
        """Store receipts and replies; False if they could not be (the SMSC is then told
        to send them again)."""
        now = self._clock.now()
        receipts: list[Receipt] = []
        messages: list[deliveries.MobileOriginated] = []
        for pdu in pdus:
            if deliveries.is_intermediate(pdu):
                continue
            if deliveries.is_receipt(pdu):
                part = deliveries.read_receipt(pdu)
                if part is not None:
                    first, *others = deliveries.id_candidates(part.carrier_message_id)
                    receipts.append(
                        Receipt(self._name, first, part.status, part.error_code, now, tuple(others))
                    )
            else:
                messages.append(deliveries.read_mobile_originated(pdu))
        # One labelled counter per status in the batch, not one label lookup per receipt.
        for status, count in Counter(r.status.value for r in receipts).items():
            metrics.receipts_received.labels(self._name, status).inc(count)
        try:
            if receipts and self.receipts is not None:
                self.receipts(receipts)
            if messages:
                with self._db.transaction() as session:
                    repository.serialize_replies(session, self._name)
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

    def purge(self) -> None:
        """Drop the parts of replies that never completed."""
        with self._db.transaction() as session:
            repository.serialize_replies(session, self._name)
            stale = self._clock.now() - mo.MO_PARTS_KEPT
            if dropped := repository.purge_mo_parts(session, self._name, stale):
                log.warning("smpp.unfinished_replies_dropped", connection=self._name, parts=dropped)
