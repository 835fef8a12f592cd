"""Outreach steps over WhatsApp: free-form texts (a lead inside their 24-hour window),
priced per message as WHATSAPP_SERVICE; a text to a lead whose window is closed is
REJECTED and refunded at once, never sent. Kept apart from the SMS path of sending.py."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from herald.billing.service import PriceList
from herald.kit.clock import Clock
from herald.messaging.accept import reject_closed_windows
from herald.tenancy import repository as tenancy
from herald.whatsapp import channel as whatsapp

CHANNEL = whatsapp.CHANNEL


def prices(session: Session) -> PriceList:
    return PriceList.load(session, whatsapp.price_channel(whatsapp.SERVICE))


def reject_closed(session: Session, clock: Clock, rows: Sequence[dict[str, Any]]) -> None:
    """After the messages are written: those to leads outside their window are refused."""
    by_sender: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["channel_type"] == CHANNEL and row["remitter_id"]:
            by_sender[(row["organization_id"], row["remitter_id"])].append(row)
    if not by_sender:
        return
    remitters = tenancy.get_remitters(session, {remitter for _, remitter in by_sender})
    for (organization_id, remitter_id), group in by_sender.items():
        number = remitters[remitter_id].name if remitter_id in remitters else ""
        reject_closed_windows(session, clock, organization_id, number, group)
