"""The dialer: keeps at most `max_concurrent_calls` calls of each campaign in flight.

A dial round for one campaign runs in two short transactions:

1. Reserve, under a lock on the campaign row: count the campaign's calls in flight, take
   as many due leads as there are free slots (those outside their calling hours are given
   the next opening instead), hold the money for each call, and write the calls
   (`queued`) and the leads (`calling`). Because every dialer, in any process, counts and
   writes under the same lock, the limit holds across worker processes.
2. Gate: lock the campaign row again and hand the calls to the provider only if the
   campaign still dials; a pause or cancel that committed in between wins, and its calls
   are released unplaced. A pause that comes later waits for this hand-over, so nothing
   is dialed after a pause or cancel has been answered. In the same transaction, record
   what the provider answered: refused calls end as failed (and follow the retry rules),
   calls it could not take yet go back to their lead unplaced.

Each call records the node that placed it. A crash leaves calls in flight that nobody will
report on; the restarted node settles them before it dials again (recovery.py), and calls
of a node that does not come back are presumed lost when their lease runs out
(settle.sweep_lost).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Row
from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.billing.service import PriceList
from herald.errors import InsufficientFunds
from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.kit.ids import new_id
from herald.providers.voice_base import (
    CallEvent,
    CallEventKind,
    CallRequest,
    EndReason,
    PlaceOutcome,
    PlaceResult,
    VoiceProvider,
)
from herald.voice import repository, settle, trunks
from herald.voice.hours import CallingHours, split_zones
from herald.voice.models import (
    DIALABLE,
    VOICE_CHANNEL,
    Agent,
    CallCampaign,
    CallStatus,
    CampaignStatus,
)
from herald.voice.publish import campaign_changed
from herald.voice.scripts import script_of

log = structlog.get_logger(__name__)

# How long past the longest conversation a call may stay unreported before it is presumed
# lost: ringing, setup and a generous margin for a slow provider.
LEASE_MARGIN = timedelta(minutes=3)
INSUFFICIENT_FUNDS = "insufficient_funds"
DEFAULT_PLACE_RETRY_SECONDS = 5.0


class VoiceProviders:
    """The voice providers by name; a campaign's calls go through the provider of its
    caller number, or the default one."""

    def __init__(self, providers: dict[str, VoiceProvider], default: str | None) -> None:
        self.providers = providers
        self.default = default

    def for_name(self, name: str | None) -> VoiceProvider:
        key = name or self.default
        if key is None or key not in self.providers:
            raise LookupError(f"no voice provider named {key!r}")
        return self.providers[key]


@dataclass(frozen=True, slots=True)
class Reserved:
    provider: VoiceProvider
    requests: list[CallRequest]


def dial_due(
    db: Database,
    clock: Clock,
    providers: VoiceProviders,
    node_id: str,
    max_per_round: int = 1000,
) -> int:
    """One dial round for every campaign with a lead due; returns how many calls started.
    The calls are recorded as placed by `node_id` (see herald.kit.node)."""
    with db.reading() as session:
        campaign_ids = repository.dialable_campaigns(session, clock.now(), limit=100)
    return sum(
        dial_campaign(db, clock, providers, node_id, id, max_per_round) for id in campaign_ids
    )


def dial_campaign(
    db: Database,
    clock: Clock,
    providers: VoiceProviders,
    node_id: str,
    campaign_id: uuid.UUID,
    max_per_round: int = 1000,
) -> int:
    with db.transaction() as session:
        reserved = _reserve(session, clock, providers, node_id, campaign_id, max_per_round)
    if reserved is None:
        return 0
    ids = [r.call_id for r in reserved.requests]
    with db.transaction() as session:
        campaign = repository.lock_campaign(session, campaign_id)
        if campaign is None or campaign.status not in DIALABLE:
            settle.release_unplaced(session, clock, ids, clock.now())
            return 0
        results = _place(reserved.provider, reserved.requests)
        _record(session, clock, reserved.provider.name, results)
    return sum(1 for r in results if r.outcome is PlaceOutcome.ACCEPTED)


def _place(provider: VoiceProvider, requests: list[CallRequest]) -> list[PlaceResult]:
    try:
        results = provider.place(requests)
    except Exception:
        # The provider failed as a whole: nothing is known to be dialed; try again soon.
        log.exception("dialer.provider_failed", provider=provider.name, count=len(requests))
        results = [PlaceResult(r.call_id, PlaceOutcome.RETRY) for r in requests]
    for result in results:
        metrics.voice_calls_placed.labels(provider.name, result.outcome.value).inc()
    return results


def _reserve(
    session: Session,
    clock: Clock,
    providers: VoiceProviders,
    node_id: str,
    campaign_id: uuid.UUID,
    max_per_round: int,
) -> Reserved | None:
    campaign = repository.lock_campaign(session, campaign_id)
    now = clock.now()
    if campaign is None or campaign.status not in DIALABLE:
        return None
    if campaign.start_at is not None and campaign.start_at > now:
        return None
    free = campaign.max_concurrent_calls - repository.count_in_flight(session, campaign.id)
    if free <= 0:
        return None
    number = repository.get_number(session, campaign.organization_id, campaign.phone_number_id)
    provider = providers.for_name(number.provider_name if number else None)
    trunk_room = trunks.room(session, provider.name, now)
    if trunk_room is not None:
        free = min(free, trunk_room)
        if free <= 0:
            return None
    leads = _leads_in_hours(session, campaign, now, min(free, max_per_round))
    if not leads:
        return None
    agent = session.get(Agent, campaign.agent_id)
    assert agent is not None
    calls = _affordable_calls(session, clock, campaign, agent, provider.name, leads, now)
    if not calls:
        return None
    for call in calls:
        call["node_id"] = node_id
    repository.insert_calls(session, calls)
    repository.start_calling(session, [c["lead_id"] for c in calls], now)
    if campaign.status == CampaignStatus.ACTIVE:
        _start_running(session, clock, campaign, now)
    return Reserved(provider, _requests(campaign, agent, leads, calls))


def _start_running(session: Session, clock: Clock, campaign: CallCampaign, now: datetime) -> None:
    campaign.status = CampaignStatus.RUNNING
    campaign.started_at = campaign.started_at or now
    campaign.updated_at = now
    session.flush()
    campaign_changed(session, clock, campaign)


def _requests(
    campaign: CallCampaign, agent: Agent, leads: list[Row[Any]], calls: list[dict[str, Any]]
) -> list[CallRequest]:
    by_lead = {lead.id: lead for lead in leads}
    script = script_of(agent)
    return [
        CallRequest(
            call_id=c["id"],
            to_number=c["to_number"],
            from_number=c["from_number"],
            script=script,
            max_duration_seconds=agent.max_call_duration_seconds,
            attempt=c["attempt"],
            group=str(campaign.id),
            record=campaign.record_calls,
            variables={"name": by_lead[c["lead_id"]].name, **by_lead[c["lead_id"]].variables},
        )
        for c in calls
    ]


def _leads_in_hours(
    session: Session, campaign: CallCampaign, now: datetime, wanted: int
) -> list[Row[Any]]:
    """Up to `wanted` due leads inside their calling hours; the others wait for theirs."""
    hours = CallingHours.from_config(campaign.calling_hours)
    if hours is None:
        return repository.due_leads(session, campaign.id, now, wanted)
    chosen: list[Row[Any]] = []
    for _ in range(5):  # a few pages, then let the next round continue
        page = repository.due_leads(session, campaign.id, now, wanted)
        opening = [hours.next_opening(now, split_zones(lead.timezone)) for lead in page]
        chosen = [lead for lead, at in zip(page, opening, strict=True) if at <= now]
        later = [(lead.id, at) for lead, at in zip(page, opening, strict=True) if at > now]
        if not later:
            break
        # Postponed leads leave the due set, so the next page brings new ones.
        repository.postpone_leads(session, later)
    return chosen


def _affordable_calls(
    session: Session,
    clock: Clock,
    campaign: CallCampaign,
    agent: Agent,
    provider_name: str,
    leads: list[Row[Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Call rows for the leads whose hold the wallet covers, the hold taken in one debit.
    With nothing affordable the campaign pauses (insufficient_funds) until resumed."""
    prices = PriceList.load(session, VOICE_CHANNEL)
    hold_minutes = math.ceil(agent.max_call_duration_seconds / 60)
    balance = billing.get_account(session, campaign.billing_account_id).balance_micros
    lease_until = now + timedelta(seconds=agent.max_call_duration_seconds) + LEASE_MARGIN
    calls: list[dict[str, Any]] = []
    total = 0
    for lead in leads:
        price = prices.unit_price(lead.country_alpha2, lead.carrier)
        if total + price * hold_minutes > balance:
            break
        total += price * hold_minutes
        calls.append(
            _call_row(campaign, lead, provider_name, price, hold_minutes, lease_until, now)
        )
    if not calls:
        _pause_for_funds(session, clock, campaign, now)
        return []
    try:
        billing.debit(
            session,
            clock,
            campaign.billing_account_id,
            total,
            f"hold:calls:{calls[0]['id']}",
            f"Hold for {len(calls)} call(s) of campaign {campaign.id}",
        )
    except InsufficientFunds:
        return []  # another debit got there first; the next round sees the new balance
    return calls


def _call_row(
    campaign: CallCampaign,
    lead: Row[Any],
    provider_name: str,
    price: int,
    hold_minutes: int,
    lease_until: datetime,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "campaign_id": campaign.id,
        "lead_id": lead.id,
        "organization_id": campaign.organization_id,
        "billing_account_id": campaign.billing_account_id,
        "attempt": lead.attempts + 1,
        "from_number": campaign.from_phone_number,
        "to_number": lead.e164,
        "status": CallStatus.QUEUED,
        "provider_name": provider_name,
        "provider_call_id": None,
        "node_id": None,
        "answered_by": None,
        "outcome": None,
        "answers": {},
        "error_code": None,
        "price_per_minute_micros": price,
        "held_micros": price * hold_minutes,
        "billable_minutes": 0,
        "cost_micros": 0,
        "duration_seconds": None,
        "started_at": now,
        "answered_at": None,
        "ended_at": None,
        "lease_until": lease_until,
        "created_at": now,
        "updated_at": now,
    }


def _pause_for_funds(session: Session, clock: Clock, campaign: CallCampaign, now: datetime) -> None:
    log.warning("dialer.insufficient_funds", campaign_id=str(campaign.id))
    campaign.status = CampaignStatus.PAUSED
    campaign.pause_reason = INSUFFICIENT_FUNDS
    campaign.updated_at = now
    session.flush()
    campaign_changed(session, clock, campaign)


def _record(session: Session, clock: Clock, provider_name: str, results: list[PlaceResult]) -> None:
    now = clock.now()
    accepted = [
        (r.call_id, r.provider_call_id)
        for r in results
        if r.outcome is PlaceOutcome.ACCEPTED and r.provider_call_id
    ]
    repository.record_provider_ids(session, accepted)
    refused = [
        CallEvent(
            provider_name,
            r.call_id,
            r.provider_call_id or "",
            CallEventKind.ENDED,
            now,
            end_reason=EndReason.FAILED,
            error_code=r.error_code or "REJECTED",
        )
        for r in results
        if r.outcome is PlaceOutcome.REJECTED
    ]
    settle.apply_events(session, clock, refused)
    later = [r for r in results if r.outcome is PlaceOutcome.RETRY]
    if later:
        delay = max(r.retry_after_seconds or DEFAULT_PLACE_RETRY_SECONDS for r in later)
        settle.release_unplaced(
            session, clock, [r.call_id for r in later], now + timedelta(seconds=delay)
        )
