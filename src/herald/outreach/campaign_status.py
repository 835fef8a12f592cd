"""Every status change of an outreach campaign, in one place (as messaging has its own):
which moves are allowed, and what each writes beside the status.

    DRAFT --start--> ACTIVE <--pause/resume--> PAUSED (by hand, or by a sending cap or an
    empty wallet, with a note) ; DRAFT/ACTIVE/PAUSED --cancel--> CANCELLED ;
    ACTIVE --every lead finished--> COMPLETED

Bulk changes over many campaigns (caps lifted, completion) are in repository.py.
"""

from __future__ import annotations

from datetime import datetime

from herald.errors import Conflict
from herald.outreach.models import CampaignStatus, OutreachCampaign

CANCELLABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED})


def started(campaign: OutreachCampaign, now: datetime) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(f"A {campaign.status} campaign cannot be started.")
    campaign.status = CampaignStatus.ACTIVE
    campaign.started_at = now
    campaign.updated_at = now


def paused_by_hand(campaign: OutreachCampaign, now: datetime) -> None:
    """Replaces a pause caused by a sending cap (it does not end by itself)."""
    if campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        raise Conflict(f"A {campaign.status} campaign cannot be paused.")
    campaign.status = CampaignStatus.PAUSED
    campaign.rate_limited_until = None
    campaign.status_note = "Paused on request."
    campaign.updated_at = now


def paused_by_sending(
    campaign: OutreachCampaign, note: str, until: datetime | None, now: datetime
) -> None:
    """A cap reached (until it lifts) or a wallet empty (until resumed); only when ACTIVE."""
    if campaign.status != CampaignStatus.ACTIVE:
        return
    campaign.status = CampaignStatus.PAUSED
    campaign.rate_limited_until = until
    campaign.status_note = note
    campaign.updated_at = now


def resumed(campaign: OutreachCampaign, now: datetime) -> None:
    if campaign.status != CampaignStatus.PAUSED:
        raise Conflict(f"A {campaign.status} campaign cannot be resumed.")
    campaign.status = CampaignStatus.ACTIVE
    campaign.rate_limited_until = None
    campaign.status_note = None
    campaign.updated_at = now


def cancelled(campaign: OutreachCampaign, now: datetime) -> None:
    if campaign.status not in CANCELLABLE:
        raise Conflict(f"A {campaign.status} campaign cannot be cancelled.")
    campaign.status = CampaignStatus.CANCELLED
    campaign.rate_limited_until = None
    campaign.completed_at = now
    campaign.updated_at = now
