"""Every SQL statement of the inbound domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from herald.inbound.models import EmailSuppression, InboundMessage, Suppression
from herald.messaging.models import Message
from herald.tenancy.models import Remitter


@dataclass(frozen=True, slots=True)
class InboundFilter:
    from_number: str | None = None
    to_number: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


def add_inbound(session: Session, row: InboundMessage) -> None:
    session.add(row)
    session.flush()


def list_inbound(
    session: Session,
    organization_id: uuid.UUID,
    filters: InboundFilter,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> list[InboundMessage]:
    stmt = select(InboundMessage).where(InboundMessage.organization_id == organization_id)
    if before is not None:
        stmt = stmt.where(InboundMessage.id < before)
    if filters.from_number is not None:
        stmt = stmt.where(InboundMessage.from_number == filters.from_number)
    if filters.to_number is not None:
        stmt = stmt.where(InboundMessage.to_number == filters.to_number)
    if filters.received_from is not None:
        stmt = stmt.where(InboundMessage.received_at >= filters.received_from)
    if filters.received_to is not None:
        stmt = stmt.where(InboundMessage.received_at < filters.received_to)
    return list(session.scalars(stmt.order_by(InboundMessage.id.desc()).limit(limit)))


def organizations_with_sender(session: Session, names: Iterable[str]) -> list[uuid.UUID]:
    """Tenants with an approved sender ID spelled as one of `names`, oldest first."""
    stmt = (
        select(Remitter.organization_id)
        .where(Remitter.name.in_(list(names)), Remitter.status == "APPROVED")
        .order_by(Remitter.id)
    )
    return list(dict.fromkeys(session.scalars(stmt)))


def last_sender_to(
    session: Session, organization_ids: list[uuid.UUID], e164: str
) -> uuid.UUID | None:
    """Among `organization_ids`, the one that last sent a message to `e164`."""
    stmt = (
        select(Message.organization_id)
        .where(Message.organization_id.in_(organization_ids), Message.e164_format == e164)
        .order_by(Message.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


# -- suppression list ------------------------------------------------------------------------


def get_suppression(session: Session, organization_id: uuid.UUID, e164: str) -> Suppression | None:
    return session.get(Suppression, (organization_id, e164))


def add_suppression(session: Session, row: Suppression) -> None:
    session.add(row)
    session.flush()


def remove_suppression(session: Session, organization_id: uuid.UUID, e164: str) -> bool:
    stmt = delete(Suppression).where(
        Suppression.organization_id == organization_id, Suppression.e164 == e164
    )
    return session.execute(stmt).rowcount > 0  # type: ignore[attr-defined]


def suppressed_numbers(session: Session, organization_id: uuid.UUID) -> frozenset[str]:
    stmt = select(Suppression.e164).where(Suppression.organization_id == organization_id)
    return frozenset(session.scalars(stmt))


def list_suppressions(session: Session, organization_id: uuid.UUID) -> list[Suppression]:
    stmt = select(Suppression).where(Suppression.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(Suppression.created_at)))


# -- email addresses ---------------------------------------------------------------------------


def email_suppressions(session: Session, organization_id: uuid.UUID) -> dict[str, str]:
    """address -> reason (UNSUBSCRIBED, BOUNCED) of a tenant."""
    stmt = select(EmailSuppression.address, EmailSuppression.reason).where(
        EmailSuppression.organization_id == organization_id
    )
    return {address: reason for address, reason in session.execute(stmt)}


def add_email_suppression(session: Session, row: EmailSuppression) -> bool:
    """False when the address was already suppressed (the first reason stays)."""
    if session.get(EmailSuppression, (row.organization_id, row.address)) is not None:
        return False
    session.add(row)
    session.flush()
    return True


def people_who_wrote(
    session: Session,
    organization_id: uuid.UUID,
    numbers: Iterable[str],
    to_numbers: Iterable[str],
    since: datetime,
) -> set[str]:
    """Which of `numbers` wrote to one of `to_numbers` since `since` (their WhatsApp
    customer-service window is open)."""
    wanted = list(numbers)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        stmt = select(InboundMessage.from_number).where(
            InboundMessage.organization_id == organization_id,
            InboundMessage.from_number.in_(wanted[start : start + 500]),
            InboundMessage.to_number.in_(list(to_numbers)),
            InboundMessage.received_at >= since,
        )
        found.update(session.scalars(stmt))
    return found
