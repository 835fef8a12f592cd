"""Joining the parts of a concatenated mobile-originated message.

Each part is stored in `mo_parts` in the transaction that acknowledges it to the SMSC, and
the whole message is handed on (in that same transaction) when its last part arrives, so a
restart while parts are waiting loses nothing. Parts arrive on any bind of the connection,
in any process: the connection's replies lock (repository.serialize_replies), taken first in
that transaction, keeps two processes from each seeing only their own part.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from herald.kit.ids import new_id
from herald.providers.smpp import repository
from herald.providers.smpp.deliveries import MobileOriginated

# Parts whose message does not complete within this time are dropped (and logged).
MO_PARTS_KEPT = timedelta(days=1)


def reassemble(
    session: Session, provider_name: str, message: MobileOriginated, now: datetime
) -> MobileOriginated | None:
    """The whole message once every part is in; None while parts are missing."""
    if message.concat is None:
        return message
    reference, total, number = message.concat
    if not 1 <= number <= total:
        return MobileOriginated(message.source, message.destination, message.text)  # malformed
    row = {
        "id": new_id(),
        "provider_name": provider_name,
        "source": message.source,
        "destination": message.destination,
        "reference": reference,
        "parts_total": total,
        "part_number": number,
        "text": message.text,
        "received_at": now,
    }
    repository.add_mo_part(session, row)
    stored = repository.mo_parts_like(session, row)
    if len(stored) < total:
        return None
    repository.drop_mo_parts(session, [part.id for part in stored])
    text = "".join(part.text for part in stored)
    return MobileOriginated(message.source, message.destination, text)
