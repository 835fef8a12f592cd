"""Replies and opt-outs: store what people send us, attribute it to the tenant that owns the
number or sender ID they wrote to, act on opt-out / opt-in keywords, keep the suppression list.

`record_inbound` is the one entry point for a mobile-originated message, whatever carried it
(an SMPP connection, a test, another channel later); it tells the registered listeners
(herald.inbound.listeners) in the same transaction.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from herald.errors import ValidationFailed
from herald.inbound import listeners, repository
from herald.inbound.keywords import Action, Keywords
from herald.inbound.models import EmailSuppression, InboundMessage, Suppression
from herald.inbound.repository import InboundFilter
from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.providers.base import Inbound, InboundSink
from herald.routing.numbers import to_e164

OPERATOR = "OPERATOR"


def record_inbound(
    session: Session, clock: Clock, keywords: Keywords, item: Inbound
) -> InboundMessage:
    item = _storable(item)
    from_number, country = _person(item.from_number)
    organization_id = _owner(session, item.to_number, from_number)
    action = keywords.action(item.text, country) if organization_id else None
    row = InboundMessage(
        id=new_id(),
        organization_id=organization_id,
        from_number=from_number,
        to_number=item.to_number,
        content=item.text,
        action=action,
        provider_name=item.provider_name,
        received_at=item.received_at,
    )
    repository.add_inbound(session, row)
    metrics.inbound_received.labels((action or "reply").lower()).inc()
    if organization_id is None:
        return row  # nobody owns that number: kept for the operator, told to nobody
    if action is Action.OPT_OUT:
        suppress(
            session, clock, organization_id, from_number, item.text.strip().upper()[:32], row.id
        )
    elif action is Action.OPT_IN:
        repository.remove_suppression(session, organization_id, from_number)
    listeners.notify(
        session,
        clock,
        listeners.InboundEvent(
            row.id, organization_id, from_number, item.to_number, item.text, item.received_at
        ),
    )
    return row


def _storable(item: Inbound) -> Inbound:
    """The message with any NUL replaced: a carrier may send one (UCS-2 U+0000), PostgreSQL's
    text columns cannot hold it, and a refused insert would make the carrier resend forever."""

    def clean(value: str) -> str:
        return value.replace("\x00", "\ufffd")

    return dataclasses.replace(
        item,
        text=clean(item.text),
        from_number=clean(item.from_number),
        to_number=clean(item.to_number),
    )


def _person(raw: str) -> tuple[str, str | None]:
    """The sender's E.164 number and country; carriers often drop the '+'."""
    candidate = raw if raw.startswith("+") else "+" + raw.lstrip("0")
    parsed = to_e164(candidate, None)
    return parsed if parsed else (raw, None)


def _owner(session: Session, to_number: str, from_number: str) -> uuid.UUID | None:
    digits = to_number.removeprefix("+")
    spellings = {to_number, digits, "+" + digits} if digits.isdigit() else {to_number}
    owners = repository.organizations_with_sender(session, spellings)
    if len(owners) <= 1:
        return owners[0] if owners else None
    # A sender ID several tenants use: the reply belongs to whoever last wrote to this person.
    return repository.last_sender_to(session, owners, from_number)


# -- suppression list ------------------------------------------------------------------------


def suppress(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    e164: str,
    reason: str = OPERATOR,
    inbound_message_id: uuid.UUID | None = None,
) -> Suppression:
    existing = repository.get_suppression(session, organization_id, e164)
    if existing is not None:
        return existing
    row = Suppression(
        organization_id=organization_id,
        e164=e164,
        reason=reason,
        inbound_message_id=inbound_message_id,
        created_at=clock.now(),
    )
    repository.add_suppression(session, row)
    return row


def unsuppress(session: Session, organization_id: uuid.UUID, e164: str) -> bool:
    return repository.remove_suppression(session, organization_id, e164)


def suppressed_numbers(session: Session, organization_id: uuid.UUID) -> frozenset[str]:
    return repository.suppressed_numbers(session, organization_id)


def is_suppressed(session: Session, organization_id: uuid.UUID, e164: str) -> bool:
    return repository.get_suppression(session, organization_id, e164) is not None


def refuse_if_suppressed(
    session: Session, organization_id: uuid.UUID, e164: str, field: str
) -> None:
    if is_suppressed(session, organization_id, e164):
        raise ValidationFailed({field: "This number opted out of messages from you (STOP)."})


def list_suppressions(session: Session, organization_id: uuid.UUID) -> list[Suppression]:
    return repository.list_suppressions(session, organization_id)


def list_inbound(
    session: Session,
    organization_id: uuid.UUID,
    filters: InboundFilter,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> list[InboundMessage]:
    return repository.list_inbound(session, organization_id, filters, before=before, limit=limit)


def inbound_sink(clock: Clock, keywords: Keywords) -> InboundSink:
    """What carrier connections call with the messages people send, in their transaction."""

    def sink(session: Session, items: Sequence[Inbound]) -> None:
        for item in items:
            record_inbound(session, clock, keywords, item)

    return sink


# -- email addresses ---------------------------------------------------------------------------

UNSUBSCRIBED = "UNSUBSCRIBED"  # the one-click link (RFC 8058)
BOUNCED = "BOUNCED"  # a delivery status notification said the address does not work


def suppress_address(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    address: str,
    reason: str,
    status_code: str | None = None,
) -> bool:
    """Email nothing more to `address`; False if it already was suppressed."""
    row = EmailSuppression(
        organization_id=organization_id,
        address=address.lower(),
        reason=reason,
        status_code=status_code,
        created_at=clock.now(),
    )
    return repository.add_email_suppression(session, row)


def suppressed_addresses(session: Session, organization_id: uuid.UUID) -> dict[str, str]:
    """The tenant's suppressed email addresses (lower case) and why."""
    return repository.email_suppressions(session, organization_id)


def record_email_reply(
    session: Session,
    organization_id: uuid.UUID,
    from_address: str,
    to_address: str,
    text: str,
    provider_name: str,
    received_at: datetime,
) -> InboundMessage:
    """An email reply to one of the tenant's emails (matched by its thread headers, so no
    keyword or ownership lookup applies: unsubscribing is the one-click link's job)."""
    row = InboundMessage(
        id=new_id(),
        organization_id=organization_id,
        from_number=from_address[:254],
        to_number=to_address[:254],
        content=text.replace("\x00", "\ufffd"),
        action=None,
        provider_name=provider_name,
        received_at=received_at,
    )
    repository.add_inbound(session, row)
    metrics.inbound_received.labels("reply").inc()
    return row
