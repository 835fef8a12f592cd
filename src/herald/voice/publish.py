"""Webhook events of the voice channel, published in the transaction that makes the change
(see herald.webhooks.events): `voice.call.status_changed` with the call as the call log
shows it, and `voice.campaign.status_changed` with the campaign as the API shows it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from herald.kit.clock import Clock
from herald.voice import public_ids as ids
from herald.voice import repository
from herald.voice.models import CallCampaign
from herald.voice.views import CALL_EVENT, CAMPAIGN_EVENT, call_view, campaign_view
from herald.voice.waiting import next_call
from herald.webhooks import events

events.declare(CALL_EVENT, CAMPAIGN_EVENT)


class _Row:
    """Attribute access over a call's column dict, for call_view."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def calls_changed(session: Session, clock: Clock, calls: Iterable[dict[str, Any]]) -> None:
    """One event per call whose status just changed (`calls` are column dicts)."""
    by_organization: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for call in calls:
        by_organization[call["organization_id"]].append(call)
    now = clock.now()
    for organization_id, items in by_organization.items():
        views = (call_view(_Row(call)) for call in items)  # built only if someone listens
        events.publish_many(
            session, now, organization_id, CALL_EVENT, ((v["id"], v) for v in views)
        )


def campaign_changed(session: Session, clock: Clock, campaign: CallCampaign) -> None:
    counts = repository.lead_counts(session, [campaign.id])[campaign.id]
    in_flight = repository.count_in_flight(session, campaign.id)
    waiting = repository.waiting_leads_by_zone(session, [campaign.id])[campaign.id]
    view = campaign_view(campaign, counts, in_flight, next_call(campaign, waiting, clock.now()))
    public_id = ids.encode(ids.CAMPAIGN, campaign.id)
    events.publish(session, clock, campaign.organization_id, CAMPAIGN_EVENT, public_id, view)


def campaigns_changed(session: Session, clock: Clock, campaign_ids: Iterable[uuid.UUID]) -> None:
    for campaign_id in campaign_ids:
        campaign = session.get(CallCampaign, campaign_id, populate_existing=True)
        if campaign is not None:
            campaign_changed(session, clock, campaign)
