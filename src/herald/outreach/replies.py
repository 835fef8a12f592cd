"""A lead writes back: the reply joins the lead's conversation and, in campaigns that stop
on replies (`autoCancelOnMessageReceived`), the lead's remaining steps are cancelled at
once. A message already handed to a carrier is not recalled; one still waiting in the
queue is cancelled and refunded, and no later step is queued."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from herald.inbound.listeners import InboundEvent
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.messaging import control as messaging
from herald.outreach import repository
from herald.outreach.models import Direction, EnrollmentState
from herald.routing.numbers import to_e164


def on_inbound(session: Session, clock: Clock, event: InboundEvent) -> None:
    lead_ids = repository.lead_ids_by_phone(
        session, event.organization_id, _e164(event.from_number)
    )
    if not lead_ids or repository.has_inbound(session, event.inbound_message_id):
        return  # not one of our leads, or a reply we were already told about
    repository.insert_entries(session, [_entry(event, lead_id) for lead_id in lead_ids])
    stop_leads(session, clock, lead_ids, EnrollmentState.REPLIED, "LEAD_REPLIED")


def stop_leads(
    session: Session,
    clock: Clock,
    lead_ids: list[uuid.UUID],
    state: str,
    reason: str,
    *,
    every_campaign: bool = False,
) -> None:
    """End these leads' sequences (in the campaigns that stop on replies, or in every
    campaign: an address that bounced or unsubscribed) and cancel what is still queued."""
    stopping = repository.campaigns_of_leads(session, lead_ids, auto_cancel_only=not every_campaign)
    if not stopping:
        return
    now = clock.now()
    repository.lock_campaigns(session, stopping)
    repository.stop_enrollments(
        session,
        state=state,
        now=now,
        lead_ids=lead_ids,
        campaign_ids=stopping,
    )
    unsent = repository.outbound_message_ids(session, lead_ids=lead_ids, campaign_ids=stopping)
    messaging.cancel_unsent(session, clock, unsent, reason)
    repository.complete_campaigns(session, stopping, now)


def _e164(number: str) -> str:
    """Carriers report the sender of a reply with or without the '+'."""
    digits = number if number.startswith("+") else f"+{number}"
    found = to_e164(digits, None)
    return found[0] if found else number


def _entry(event: InboundEvent, lead_id: uuid.UUID) -> dict[str, object]:
    return {
        "id": new_id(),
        "organization_id": event.organization_id,
        "lead_id": lead_id,
        "direction": Direction.INBOUND,
        "campaign_id": None,
        "enrollment_id": None,
        "step_index": None,
        "message_id": None,
        "inbound_message_id": event.inbound_message_id,
        "language": None,
        "content": event.content,
        "created_at": event.received_at,
    }
