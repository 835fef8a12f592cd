"""Call campaigns: creating them with their leads, changing them, and their life cycle.

    draft ──launch──▶ active ──first call──▶ running ──every lead finished──▶ completed
                        │  ▲                   │  ▲
                        ▼  │ resume            ▼  │ resume
                       paused ◀────pause───────┘──┘
    draft, active, running, paused ──cancel──▶ cancelled

A pause stops new calls at once; calls already on the line finish (nobody is cut off
mid-sentence) and their leads follow the retry rules, to be called after a resume. A cancel
also stops new calls and cancels every lead still waiting; completed and cancelled are
final. Setting the status a campaign already has changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import Conflict, NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.routing import service as routing
from herald.tenancy.service import Principal
from herald.voice import agents, repository
from herald.voice.hours import FALLBACK_ZONE
from herald.voice.leads import LeadInput, PreparedLeads, prepare
from herald.voice.models import (
    FINAL_CAMPAIGN_STATUSES,
    CallCampaign,
    CampaignStatus,
)
from herald.voice.publish import campaign_changed

SETTABLE_STATUSES = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.CANCELLED)
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    agent_id: uuid.UUID | None  # None: not an id of ours
    from_phone_number: str
    max_concurrent_calls: int
    max_retries: int
    retry_interval_minutes: int
    leads: list[LeadInput] = field(default_factory=list)
    start_at: datetime | None = None
    calling_hours: dict[str, Any] | None = None
    draft: bool = False
    default_country: str | None = None
    record_calls: bool = False


@dataclass(frozen=True, slots=True)
class CampaignChanges:
    """Only the fields a PATCH names; `_UNSET` marks the others."""

    name: Any = _UNSET
    agent_id: Any = _UNSET
    from_phone_number: Any = _UNSET
    max_concurrent_calls: Any = _UNSET
    max_retries: Any = _UNSET
    retry_interval_minutes: Any = _UNSET
    start_at: Any = _UNSET
    calling_hours: Any = _UNSET
    status: Any = _UNSET

    def given(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not _UNSET}


def _no_agent() -> ValidationFailed:
    return ValidationFailed({"agent_id": "No agent with this id exists in this workspace."})


def campaign_not_found() -> NotFound:
    return NotFound("The campaign does not exist.")


def create_campaign(
    session: Session, clock: Clock, principal: Principal, spec: CampaignSpec
) -> CallCampaign:
    organization_id = principal.organization_id
    agent = spec.agent_id and repository.get_agent(session, organization_id, spec.agent_id)
    if not agent:
        raise _no_agent()
    number = agents.caller_number(session, organization_id, spec.from_phone_number)
    if not spec.leads and not spec.draft:
        raise ValidationFailed(
            {"leads": "A campaign needs at least one lead; create it as a draft to upload them."}
        )
    now = clock.now()
    campaign = CallCampaign(
        id=new_id(),
        organization_id=organization_id,
        billing_account_id=principal.billing_account_id,
        name=spec.name,
        agent_id=agent.id,
        phone_number_id=number.id,
        from_phone_number=number.e164,
        status=CampaignStatus.DRAFT if spec.draft else CampaignStatus.ACTIVE,
        max_concurrent_calls=spec.max_concurrent_calls,
        max_retries=spec.max_retries,
        retry_interval_minutes=spec.retry_interval_minutes,
        start_at=spec.start_at,
        calling_hours=spec.calling_hours,
        record_calls=spec.record_calls,
        pause_reason=None,
        started_at=None,
        completed_at=None,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, campaign)
    _insert_leads(session, clock, campaign, spec.leads, spec.default_country, "leads")
    return campaign


def add_leads(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    campaign_id: uuid.UUID,
    leads: list[LeadInput],
    default_country: str | None = None,
) -> PreparedLeads:
    """More leads for a campaign that is not finished (e.g. a CSV upload to a draft)."""
    campaign = _locked(session, organization_id, campaign_id)
    if campaign.status in FINAL_CAMPAIGN_STATUSES:
        raise Conflict(f"A {campaign.status} campaign takes no more leads.")
    if not leads:
        raise ValidationFailed({"leads": "No leads given."})
    return _insert_leads(session, clock, campaign, leads, default_country, "leads")


def _insert_leads(
    session: Session,
    clock: Clock,
    campaign: CallCampaign,
    leads: list[LeadInput],
    default_country: str | None,
    field_prefix: str,
) -> PreparedLeads:
    hours = campaign.calling_hours or {}
    prepared = prepare(
        leads,
        campaign_id=campaign.id,
        organization_id=campaign.organization_id,
        detector=routing.detector(session),
        default_region=default_country,
        fallback_zone=hours.get("timezone") or FALLBACK_ZONE,
        known_numbers=repository.lead_numbers(session, campaign.id) if leads else set(),
        now=clock.now(),
        field_prefix=field_prefix,
    )
    repository.insert_leads(session, prepared.rows)
    return prepared


def update_campaign(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    campaign_id: uuid.UUID,
    changes: CampaignChanges,
) -> CallCampaign:
    validate_changes(changes)
    campaign = _locked(session, organization_id, campaign_id)
    given = changes.given()
    status = given.pop("status", None)
    if campaign.status in FINAL_CAMPAIGN_STATUSES and (
        given or status not in (None, campaign.status)
    ):
        raise Conflict(f"A {campaign.status} campaign cannot be changed.")
    now = clock.now()
    if "agent_id" in given:
        agent_id = given["agent_id"]
        if agent_id is None or repository.get_agent(session, organization_id, agent_id) is None:
            raise _no_agent()
    if "from_phone_number" in given:
        number = agents.caller_number(session, organization_id, given.pop("from_phone_number"))
        campaign.phone_number_id = number.id
        campaign.from_phone_number = number.e164
    for name, value in given.items():
        setattr(campaign, name, value)
    campaign.updated_at = now
    if "max_retries" in given:
        _fail_out_of_retries(session, clock, campaign, now)
    if (
        status is not None
        and status != campaign.status
        and campaign.status not in FINAL_CAMPAIGN_STATUSES
    ):
        _transition(session, clock, campaign, CampaignStatus(status), now)
    return campaign


def _fail_out_of_retries(
    session: Session, clock: Clock, campaign: CallCampaign, now: datetime
) -> None:
    """Fewer retries allowed: leads waiting for a retry they no longer have are finished."""
    session.flush()
    finished = repository.fail_exhausted_leads(session, campaign.id, campaign.max_retries, now)
    if finished and repository.complete_campaigns(session, [campaign.id], now):
        session.refresh(campaign)
        campaign_changed(session, clock, campaign)


def _transition(
    session: Session, clock: Clock, campaign: CallCampaign, target: CampaignStatus, now: datetime
) -> None:
    current = CampaignStatus(campaign.status)
    if target is CampaignStatus.CANCELLED:
        campaign.status = CampaignStatus.CANCELLED
        campaign.completed_at = now
        repository.cancel_queued_leads(session, campaign.id, now)
    elif target is CampaignStatus.PAUSED:
        if current is CampaignStatus.DRAFT:
            raise Conflict("A draft campaign is not dialing: launch it (status active) first.")
        campaign.status = CampaignStatus.PAUSED
        campaign.pause_reason = "paused_by_user"
    elif current is CampaignStatus.DRAFT:
        if not repository.lead_counts(session, [campaign.id])[campaign.id]:
            raise Conflict("A campaign without leads cannot be launched; add leads first.")
        campaign.status = CampaignStatus.ACTIVE
    elif current is CampaignStatus.PAUSED:
        campaign.status = CampaignStatus.RUNNING if campaign.started_at else CampaignStatus.ACTIVE
        campaign.pause_reason = None
    session.flush()
    # Resuming a campaign whose last calls ended while it was paused finishes it.
    if repository.complete_campaigns(session, [campaign.id], now):
        session.refresh(campaign)
    campaign_changed(session, clock, campaign)


def _locked(session: Session, organization_id: uuid.UUID, campaign_id: uuid.UUID) -> CallCampaign:
    campaign = repository.lock_campaign(session, campaign_id)
    if campaign is None or campaign.organization_id != organization_id:
        raise campaign_not_found()
    return campaign


def validate_changes(changes: CampaignChanges) -> None:
    """Rules the request shape cannot express."""
    if changes.status is not _UNSET and changes.status not in SETTABLE_STATUSES:
        raise ValidationFailed(
            {"status": "A campaign's status can be set to active, paused or cancelled."}
        )
