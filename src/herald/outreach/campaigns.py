"""Outreach campaigns: create, read, replace the workflow, select leads, and the
start / pause / resume / cancel life cycle."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import Conflict, NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.messaging import control as messaging
from herald.messaging.encoding import DEFAULT_MAX_SEGMENTS
from herald.outreach import campaign_status, email_sends, repository, whatsapp
from herald.outreach import workflow as workflows
from herald.outreach.models import (
    AccountGroup,
    CampaignStatus,
    Enrollment,
    EnrollmentState,
    OutreachCampaign,
)
from herald.outreach.workflow import Workflow
from herald.tenancy.service import Principal, approved_remitter

MAX_SELECT = 10_000
EDITABLE = frozenset({CampaignStatus.DRAFT})
SELECTABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED})


@dataclass(frozen=True, slots=True)
class NewCampaign:
    name: str
    sender_id: uuid.UUID
    description: str | None = None
    outreach_language: str = "en"
    include_conversation_history: bool = False
    auto_cancel_on_message_received: bool = True
    daily_send_cap: int | None = None
    workflow: Workflow | None = None
    mailboxes: list[str] | None = None  # email connections EMAIL steps are sent from, in turn
    max_segments: int = DEFAULT_MAX_SEGMENTS


@dataclass(frozen=True, slots=True)
class Selection:
    added: int
    already_selected: int
    selected_lead_count: int


def campaign_not_found() -> NotFound:
    return NotFound("The requested campaign could not be found.")


def create(
    session: Session, clock: Clock, principal: Principal, group: AccountGroup, new: NewCampaign
) -> OutreachCampaign:
    approved_remitter(session, principal.organization_id, new.sender_id, "senderId")
    if new.workflow is not None:
        _check_workflow(session, new.workflow, new.outreach_language, new.max_segments)
    if new.mailboxes:
        email_sends.check_mailboxes(session, new.mailboxes)
    now = clock.now()
    campaign = OutreachCampaign(
        id=new_id(),
        organization_id=group.organization_id,
        account_group_id=group.id,
        billing_account_id=principal.billing_account_id,
        remitter_id=new.sender_id,
        name=new.name,
        description=new.description,
        status=CampaignStatus.DRAFT,
        include_conversation_history=new.include_conversation_history,
        auto_cancel_on_message_received=new.auto_cancel_on_message_received,
        outreach_language=new.outreach_language,
        workflow=new.workflow.stored() if new.workflow else dict(workflows.EMPTY),
        daily_send_cap=new.daily_send_cap,
        mailboxes=list(dict.fromkeys(new.mailboxes)) if new.mailboxes else None,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, campaign)
    return campaign


def get(
    session: Session, group: AccountGroup, campaign_id: uuid.UUID, *, lock: bool = False
) -> OutreachCampaign:
    campaign = repository.get_campaign(session, group.id, campaign_id, lock=lock)
    if campaign is None:
        raise campaign_not_found()
    return campaign


def list_campaigns(
    session: Session,
    group: AccountGroup,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[OutreachCampaign]:
    return repository.list_campaigns(session, group.id, before=before, limit=limit, status=status)


def selected_counts(session: Session, campaigns: list[OutreachCampaign]) -> dict[uuid.UUID, int]:
    counts = repository.selected_counts(session, [c.id for c in campaigns])
    return {c.id: counts.get(c.id, 0) for c in campaigns}


def replace_workflow(
    session: Session,
    clock: Clock,
    group: AccountGroup,
    campaign_id: uuid.UUID,
    new: Workflow,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> OutreachCampaign:
    """Replace the steps while the campaign is a draft (leads already on their way keep the
    steps they were started with)."""
    campaign = get(session, group, campaign_id, lock=True)
    if campaign.status not in EDITABLE:
        raise Conflict(f"The workflow of a {campaign.status} campaign cannot be replaced.")
    _check_workflow(session, new, campaign.outreach_language, max_segments)
    campaign.workflow = new.stored()
    campaign.updated_at = clock.now()
    return campaign


def _check_workflow(session: Session, new: Workflow, language: str, max_segments: int) -> None:
    too_long = new.too_long(max_segments)
    if too_long:
        raise ValidationFailed(too_long)
    _check_languages(new, language)
    for index, template in new.whatsapp_templates():
        # As /c/v1 checks a template: synced, APPROVED, the right parameter counts.
        whatsapp.check_template(session, template, f"steps.{index}.template")


def _check_languages(new: Workflow, language: str) -> None:
    missing = new.missing_language(language)
    if missing is not None:
        raise ValidationFailed(
            {
                f"steps.{missing}.templates": (
                    f"Every send step needs a template in the outreach language '{language}'."
                )
            }
        )


def select_leads(
    session: Session,
    clock: Clock,
    group: AccountGroup,
    campaign_id: uuid.UUID,
    lead_ids: list[uuid.UUID],
) -> Selection:
    """Add leads of the group to the campaign; each starts at the first step (at once if
    the campaign is running). Selecting a lead twice is harmless."""
    if not lead_ids or len(lead_ids) > MAX_SELECT:
        raise ValidationFailed({"leadIds": f"Give 1 to {MAX_SELECT} lead ids."})
    campaign = get(session, group, campaign_id, lock=True)
    if campaign.status not in SELECTABLE:
        raise Conflict(f"Leads cannot be added to a {campaign.status} campaign.")
    wanted = list(dict.fromkeys(lead_ids))
    known = repository.existing_lead_ids(session, group.id, wanted)
    unknown = [str(id) for id in wanted if id not in known]
    if unknown:
        raise ValidationFailed(
            {"leadIds": "No such leads in this account group: " + ", ".join(unknown[:5]) + "."}
        )
    already = repository.enrolled_lead_ids(session, campaign.id, wanted)
    now = clock.now()
    rows = [_enrollment_row(campaign, lead_id, now) for lead_id in wanted if lead_id not in already]
    repository.insert_enrollments(session, rows)
    campaign.updated_at = now
    count = repository.selected_counts(session, [campaign.id]).get(campaign.id, 0)
    return Selection(len(rows), len(already), count)


def _enrollment_row(campaign: OutreachCampaign, lead_id: uuid.UUID, now: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": campaign.organization_id,
        "campaign_id": campaign.id,
        "lead_id": lead_id,
        "state": EnrollmentState.ACTIVE,
        "step_index": 0,
        "error_code": None,
        "due_at": now,  # only a running campaign's leads are picked up
        "lease_owner": None,
        "lease_until": None,
        "created_at": now,
        "updated_at": now,
    }


def enrollments(
    session: Session, campaign: OutreachCampaign, *, before: uuid.UUID | None, limit: int
) -> list[Enrollment]:
    return repository.list_enrollments(session, campaign.id, before=before, limit=limit)


def start(
    session: Session, clock: Clock, group: AccountGroup, campaign_id: uuid.UUID
) -> OutreachCampaign:
    campaign = get(session, group, campaign_id, lock=True)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(f"A {campaign.status} campaign cannot be started.")  # before the checks
    steps = workflows.load(campaign.workflow)
    if steps is None:
        raise ValidationFailed({"workflow": "Set the workflow before starting the campaign."})
    _check_languages(steps, campaign.outreach_language)
    if steps.uses("EMAIL") and not campaign.mailboxes:
        raise ValidationFailed({"mailboxes": "Name the mailboxes the EMAIL steps are sent from."})
    if not repository.selected_counts(session, [campaign.id]):
        raise ValidationFailed({"leads": "Select at least one lead before starting."})
    campaign_status.started(campaign, clock.now())
    return campaign


def pause(
    session: Session, clock: Clock, group: AccountGroup, campaign_id: uuid.UUID
) -> OutreachCampaign:
    """No lead gets a further step until resumed; a message already queued still goes out.
    A pause asked for by hand replaces one caused by a sending cap (it does not end by
    itself)."""
    campaign = get(session, group, campaign_id, lock=True)
    campaign_status.paused_by_hand(campaign, clock.now())
    return campaign


def resume(
    session: Session, clock: Clock, group: AccountGroup, campaign_id: uuid.UUID
) -> OutreachCampaign:
    """Leads go on from where they stopped; a step that fell due meanwhile runs now."""
    campaign = get(session, group, campaign_id, lock=True)
    now = clock.now()
    campaign_status.resumed(campaign, now)
    session.flush()
    # Every lead may have finished while the campaign was paused.
    repository.complete_campaigns(session, [campaign.id], now)
    session.refresh(campaign)
    return campaign


def cancel(
    session: Session, clock: Clock, group: AccountGroup, campaign_id: uuid.UUID
) -> OutreachCampaign:
    """Stop every lead; messages not yet handed to a carrier are cancelled and refunded."""
    campaign = get(session, group, campaign_id, lock=True)
    now = clock.now()
    campaign_status.cancelled(campaign, now)
    repository.stop_enrollments(
        session, state=EnrollmentState.CANCELLED, now=now, campaign_id=campaign.id
    )
    unsent = repository.outbound_message_ids(session, campaign_id=campaign.id)
    messaging.cancel_unsent(session, clock, unsent, "CAMPAIGN_CANCELLED")
    return campaign


@dataclass(frozen=True, slots=True)
class StepFunnel:
    """Where a campaign's leads stand at one send step: waiting for it, past it, or
    stopped while waiting for it (replied, cancelled, opted out, bounced = failed)."""

    step_index: int
    waiting: int
    sent: int
    stopped: dict[str, int]


def funnel(session: Session, campaign: OutreachCampaign) -> list[StepFunnel]:
    steps = campaign.workflow.get("steps", [])
    sends = [i for i, step in enumerate(steps) if step.get("type") == "send"]
    rows = repository.enrollment_funnel(session, campaign.id)
    result = []
    for i in sends:
        waiting, sent, stopped = 0, 0, Counter[str]()
        for step_index, state, count in rows:
            if step_index > i:
                sent += count
            elif _next_send(sends, step_index) == i:
                if state == EnrollmentState.ACTIVE:
                    waiting += count
                else:
                    stopped[state] += count
        result.append(StepFunnel(i, waiting, sent, dict(stopped)))
    return result


def _next_send(sends: list[int], step_index: int) -> int | None:
    return next((i for i in sends if i >= step_index), None)
