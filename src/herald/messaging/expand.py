"""Expansion: a worker turns an accepted campaign into priced PENDING messages and debits
the wallet once, in one transaction, then the campaign is SENDING."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.billing.service import PriceList
from herald.errors import InsufficientFunds
from herald.inbound import service as inbound
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.kit.ids import new_id
from herald.messaging import campaign_status, events, repository
from herald.messaging.accept import BATCH_PRIORITY, message_row, reject_closed_windows
from herald.messaging.models import Campaign
from herald.messaging.plan import Dropped, Plan, plan_recipients
from herald.routing import service as routing
from herald.tenancy import repository as tenancy
from herald.whatsapp import channel as whatsapp


def expand_due(db: Database, clock: Clock, owner: str, lease: timedelta, limit: int = 1) -> int:
    """Expand up to `limit` due campaigns; return how many were taken."""
    with db.reading() as session:
        if not repository.any_campaign_to_expand(session, clock.now()):
            return 0
    with db.transaction() as session:
        claimed = repository.claim_campaigns(session, owner, clock.now(), lease, limit)
    for row in claimed:
        expand_campaign(db, clock, row.id, owner)
    return len(claimed)


def expand_campaign(db: Database, clock: Clock, campaign_id: uuid.UUID, owner: str) -> None:
    # Numbers are parsed and priced in a read transaction, so that SQLite's single writer is
    # held only for the inserts; the lease keeps other workers off meanwhile.
    with db.reading() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return
        pricing = _channel(campaign)
        plan = plan_recipients(
            campaign.recipients,
            campaign.content,
            campaign.country_alpha2,
            routing.detector(session),
            PriceList.load(session, pricing.get("price_channel", campaign.channel_type)),
            inbound.suppressed_numbers(session, campaign.organization_id),
            whole="price_channel" in pricing,
        )
    with db.transaction() as session:
        campaign = repository.lock_campaign(session, campaign_id)
        if campaign is None or not _still_ours(campaign, owner):
            return  # paused, cancelled, or taken over after our lease ran out
        _write(session, clock, campaign, plan)
        events.campaigns_changed(session, clock.now(), [campaign.id])


def _channel(campaign: Campaign) -> dict[str, Any]:
    """What accepting the campaign decided for its channel (WhatsApp: the template payload
    and the price list's channel); empty for SMS."""
    found = (campaign.data or {}).get("channel")
    return found if isinstance(found, dict) else {}


def _still_ours(campaign: Campaign, owner: str) -> bool:
    return campaign.status in repository.EXPANDABLE and campaign.lease_owner == owner


def _write(session: Session, clock: Clock, campaign: Campaign, plan: Plan) -> None:
    now = clock.now()
    campaign.lease_owner = None
    campaign.lease_until = None
    campaign.processed_at = now
    campaign.updated_at = now
    campaign.status_note = plan.note(len(campaign.recipients))
    campaign.data = {
        **campaign.data,
        "recipients": {
            "submitted": len(campaign.recipients),
            "accepted": len(plan.destinations),
            "invalid": plan.invalid,
            "duplicate": plan.duplicates,
            "suppressed": plan.suppressed,
        },
    }
    repository.insert_dropped(session, [_dropped_row(campaign, d, now) for d in plan.dropped])
    if not plan.destinations:
        campaign_status.failed(campaign, "NO_VALID_RECIPIENTS", campaign.status_note)
        return
    try:
        billing.debit(
            session,
            clock,
            campaign.billing_account_id,
            plan.total_cost,
            f"debit:campaign:{campaign.id}",
            f"Campaign {campaign.name}",
        )
    except InsufficientFunds as exc:
        campaign_status.failed(campaign, InsufficientFunds.code, exc.message)
        return
    pricing = _channel(campaign)
    rows = [
        message_row(
            campaign.organization_id,
            campaign.billing_account_id,
            campaign.id,
            campaign.remitter_id,
            campaign.channel_type,
            campaign.content,
            plan.text.encoding,
            1 if "price_channel" in pricing else plan.text.segments,
            priced,
            trigger_source=campaign.trigger_source,
            priority=BATCH_PRIORITY,
            now=now,
            payload=pricing.get("payload"),
        )
        for priced in plan.destinations
    ]
    repository.insert_messages(session, rows)
    campaign_status.sending(campaign)
    if campaign.channel_type == whatsapp.CHANNEL and not pricing.get("payload"):
        ids = {campaign.remitter_id} if campaign.remitter_id else set()
        remitter = tenancy.get_remitters(session, ids).get(campaign.remitter_id)  # type: ignore[arg-type]
        number = remitter.name if remitter else ""
        reject_closed_windows(session, clock, campaign.organization_id, number, rows)
        campaign_status.complete_finished(session, [campaign.id], now)


def _dropped_row(campaign: Campaign, dropped: Dropped, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "campaign_id": campaign.id,
        "position": dropped.position,
        "recipient": dropped.recipient[:64],
        "e164_format": dropped.e164,
        "reason": dropped.reason,
        "created_at": now,
    }
