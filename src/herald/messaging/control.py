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

from herald.errors import NotFound
from herald.kit.clock import Clock
from herald.messaging import campaign_status, events, repository, settle
from herald.messaging.models import Campaign, CampaignStatus, MessageStatus


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
    now = clock.now()
    campaign_status.paused(campaign, reason, now)
    repository.set_campaign_messages_due(session, campaign.id, None)
    events.campaigns_changed(session, now, [campaign.id])
    return campaign


def resume(
    session: Session, clock: Clock, organization_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    campaign = _campaign(session, organization_id, campaign_id)
    now = clock.now()
    campaign_status.resumed(campaign, now)
    events.campaigns_changed(session, now, [campaign.id])
    if campaign.status == CampaignStatus.SENDING:
        repository.set_campaign_messages_due(session, campaign.id, now)
        campaign_status.complete_finished(session, [campaign.id], now)
    return campaign


def cancel(
    session: Session, clock: Clock, organization_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    campaign = _campaign(session, organization_id, campaign_id)
    now = clock.now()
    campaign_status.cancelled(campaign, now)
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
