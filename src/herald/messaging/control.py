"""Pausing, resuming and cancelling campaigns.

A paused campaign's PENDING messages have no due time, so dispatch does not see them;
resuming gives them one again (nothing already SENT is touched). Cancelling settles the
PENDING messages as CANCELLED and refunds them; a message being handed over at that very
moment finishes its hand-over.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from herald.errors import Conflict, NotFound
from herald.kit.clock import Clock
from herald.messaging import events, repository, settle
from herald.messaging.models import Campaign, CampaignStatus, MessageStatus

PAUSABLE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.PROCESSING, CampaignStatus.SENDING})
CANCELLABLE = PAUSABLE | {CampaignStatus.DRAFT, CampaignStatus.PAUSED}


def _campaign(session: Session, organization_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign:
    campaign = repository.lock_campaign(session, campaign_id)
    if campaign is None or campaign.organization_id != organization_id:
        raise NotFound("The requested campaign resource tracking profile could not be found.")
    return campaign


def pause(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    campaign_id: uuid.UUID,
    reason: str | None = None,
) -> Campaign:
    campaign = _campaign(session, organization_id, campaign_id)
    if campaign.status not in PAUSABLE:
        raise Conflict(f"A campaign in status {campaign.status} cannot be paused.")
    now = clock.now()
    campaign.data = {
        **campaign.data,
        "reason_of_pause": reason or "Paused on request.",
        "paused_from": campaign.status,
    }
    campaign.status = CampaignStatus.PAUSED
    campaign.updated_at = now
    repository.set_campaign_messages_due(session, campaign.id, None)
    events.campaigns_changed(session, now, [campaign.id])
    return campaign


def resume(
    session: Session, clock: Clock, organization_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    campaign = _campaign(session, organization_id, campaign_id)
    if campaign.status != CampaignStatus.PAUSED:
        raise Conflict(f"A campaign in status {campaign.status} cannot be resumed.")
    now = clock.now()
    data = dict(campaign.data)
    previous = data.pop("paused_from", CampaignStatus.PROCESSING)
    data["reason_of_pause"] = None
    campaign.data = data
    campaign.status = previous
    campaign.updated_at = now
    events.campaigns_changed(session, now, [campaign.id])
    if previous == CampaignStatus.SENDING:
        repository.set_campaign_messages_due(session, campaign.id, now)
        settle.complete_finished(session, [campaign.id], now)
    return campaign


def cancel(
    session: Session, clock: Clock, organization_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    campaign = _campaign(session, organization_id, campaign_id)
    if campaign.status not in CANCELLABLE:
        raise Conflict(f"A campaign in status {campaign.status} cannot be cancelled.")
    now = clock.now()
    campaign.status = CampaignStatus.CANCELLED
    campaign.completed_at = now
    campaign.updated_at = now
    campaign.lease_owner = None
    campaign.lease_until = None
    _cancel_pending(session, clock, campaign.id)
    events.campaigns_changed(session, now, [campaign.id])
    return campaign


def _cancel_pending(session: Session, clock: Clock, campaign_id: uuid.UUID) -> None:
    ids = repository.pending_ids_of_campaign(session, campaign_id, clock.now())
    settle.finish(
        session,
        clock,
        [(id, MessageStatus.CANCELLED, "CAMPAIGN_CANCELLED") for id in ids],
        only_unleased=True,
    )


def reapply_stops(session: Session, clock: Clock, campaign_ids: Iterable[uuid.UUID | None]) -> None:
    """Messages given back to the queue while their campaign was paused or cancelled
    (they were being handed over at the time) follow their campaign."""
    statuses = repository.campaign_statuses(session, {c for c in campaign_ids if c})
    for campaign_id, status in statuses.items():
        if status == CampaignStatus.PAUSED:
            repository.set_campaign_messages_due(session, campaign_id, None)
        elif status == CampaignStatus.CANCELLED:
            _cancel_pending(session, clock, campaign_id)


def cancel_unsent(
    session: Session, clock: Clock, message_ids: Iterable[uuid.UUID], error_code: str
) -> list[uuid.UUID]:
    """Cancel and refund those of `message_ids` still waiting to be handed over; a message
    being handed over right now, or already with the carrier, is not recalled."""
    settled = settle.finish(
        session,
        clock,
        [(id, MessageStatus.CANCELLED, error_code) for id in message_ids],
        only_unleased=True,
        only_pending=True,
    )
    return [m.id for m in settled]
