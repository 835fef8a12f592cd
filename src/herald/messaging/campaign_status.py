"""Every status change of a messaging campaign, in one place, as messages have theirs in
settle: which moves are allowed, and what each one writes beside the status.

    PROCESSING/SCHEDULED --expand--> SENDING --last message handed over--> COMPLETED
    PROCESSING/SCHEDULED --expand fails--> FAILED
    SCHEDULED/PROCESSING/SENDING <--pause/resume--> PAUSED
    DRAFT/SCHEDULED/PROCESSING/SENDING/PAUSED --cancel--> CANCELLED

Bulk completion (many campaigns in one statement) is repository.complete_campaigns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from herald.errors import Conflict
from herald.messaging import events, repository
from herald.messaging.models import Campaign, CampaignStatus

PAUSABLE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.PROCESSING, CampaignStatus.SENDING})
CANCELLABLE = PAUSABLE | {CampaignStatus.DRAFT, CampaignStatus.PAUSED}


def sending(campaign: Campaign) -> None:
    """Expanded: its messages are written and wait to be handed over."""
    campaign.status = CampaignStatus.SENDING


def failed(campaign: Campaign, error_code: str, note: str | None) -> None:
    """Expansion found nothing to send, or the wallet could not pay."""
    campaign.status = CampaignStatus.FAILED
    campaign.error_code = error_code
    campaign.status_note = note
    campaign.completed_at = campaign.processed_at


def paused(campaign: Campaign, reason: str | None, now: datetime) -> None:
    if campaign.status not in PAUSABLE:
        raise Conflict(f"A campaign in status {campaign.status} cannot be paused.")
    campaign.data = {
        **campaign.data,
        "reason_of_pause": reason or "Paused on request.",
        "paused_from": campaign.status,
    }
    campaign.status = CampaignStatus.PAUSED
    campaign.updated_at = now


def resumed(campaign: Campaign, now: datetime) -> None:
    """Back to the status it was paused from."""
    if campaign.status != CampaignStatus.PAUSED:
        raise Conflict(f"A campaign in status {campaign.status} cannot be resumed.")
    data = dict(campaign.data)
    previous = data.pop("paused_from", CampaignStatus.PROCESSING)
    data["reason_of_pause"] = None
    campaign.data = data
    campaign.status = previous
    campaign.updated_at = now


def cancelled(campaign: Campaign, now: datetime) -> None:
    if campaign.status not in CANCELLABLE:
        raise Conflict(f"A campaign in status {campaign.status} cannot be cancelled.")
    campaign.status = CampaignStatus.CANCELLED
    campaign.completed_at = now
    campaign.updated_at = now
    campaign.lease_owner = None
    campaign.lease_until = None


def complete_finished(
    session: Session, campaign_ids: Iterable[uuid.UUID | None], now: datetime
) -> None:
    """COMPLETED: the SENDING campaigns among these with no message left to hand over."""
    completed = repository.complete_campaigns(
        session, {c for c in campaign_ids if c is not None}, now
    )
    events.campaigns_changed(session, now, completed)
