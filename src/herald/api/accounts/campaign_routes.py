"""/v1/accounts/{accountGroupId}/campaigns: routes only; every decision is the services'."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session

from herald.api.common import V7Cursor, container, id_in_path
from herald.kit.clock import Clock
from herald.outreach import campaigns
from herald.outreach import workflow as workflows
from herald.outreach.campaigns import NewCampaign
from herald.outreach.models import AccountGroup, CampaignStatus, OutreachCampaign
from herald.outreach.workflow import Workflow

from . import presenters
from .auth import CampaignsRead, CampaignsWrite, parse_id
from .envelope import ERROR_RESPONSES, Envelope, ok
from .schemas import (
    CampaignIn,
    CampaignLeadOut,
    CampaignOut,
    Page,
    SelectionOut,
    SelectLeadsIn,
    WorkflowOut,
)

router = APIRouter(
    prefix="/v1/accounts/{accountGroupId}/campaigns",
    tags=["outreach campaigns"],
    responses=ERROR_RESPONSES,
)

CampaignId = Annotated[
    str, id_in_path("Campaign ID that identifies the campaign.", alias="campaignId")
]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = V7Cursor


def _out(session: Session, campaign: OutreachCampaign) -> CampaignOut:
    counts = campaigns.selected_counts(session, [campaign])
    return presenters.campaign_out(campaign, counts[campaign.id])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[CampaignOut],
    summary="Create a campaign (a draft)",
)
def create_campaign(request: Request, body: CampaignIn, caller: CampaignsWrite) -> object:
    app = container(request)
    new = NewCampaign(
        name=body.name,
        sender_id=uuid.UUID(body.sender_id),
        description=body.description,
        outreach_language=body.outreach_language,
        include_conversation_history=body.include_conversation_history,
        auto_cancel_on_message_received=body.auto_cancel_on_message_received,
        daily_send_cap=body.daily_send_cap,
        workflow=body.workflow,
        mailboxes=body.mailboxes,
        max_segments=app.settings.max_segments,
    )
    with app.db.transaction() as session:
        campaign = campaigns.create(session, app.clock, caller.principal, caller.group, new)
        return ok(request, _out(session, campaign))


@router.get("", response_model=Envelope[Page[CampaignOut]], summary="List campaigns")
def list_campaigns(
    request: Request,
    caller: CampaignsRead,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[CampaignStatus | None, Query()] = None,
) -> object:
    before = parse_id(cursor, "cursor") if cursor else None
    with container(request).db.reading() as session:
        found = campaigns.list_campaigns(
            session, caller.group, before=before, limit=limit + 1, status=status
        )
        page = found[:limit]
        counts = campaigns.selected_counts(session, page)
        items = [presenters.campaign_out(c, counts[c.id]) for c in page]
    next_cursor = str(page[-1].id) if len(found) > limit else None
    return ok(request, Page[CampaignOut](items=items, next_cursor=next_cursor))


@router.get(
    "/{campaignId}",
    response_model=Envelope[CampaignOut],
    summary="Get a single campaign",
    description="Bounded public metadata for one campaign, without its workflow definition.",
)
def get_campaign(request: Request, campaign_id: CampaignId, caller: CampaignsRead) -> object:
    id = parse_id(campaign_id, "campaignId")
    with container(request).db.reading() as session:
        return ok(request, _out(session, campaigns.get(session, caller.group, id)))


@router.get(
    "/{campaignId}/workflow", response_model=Envelope[WorkflowOut], summary="Get the workflow"
)
def get_workflow(request: Request, campaign_id: CampaignId, caller: CampaignsRead) -> object:
    id = parse_id(campaign_id, "campaignId")
    with container(request).db.reading() as session:
        campaign = campaigns.get(session, caller.group, id)
    steps = workflows.load(campaign.workflow)
    return ok(request, steps.stored() if steps else dict(workflows.EMPTY))


@router.put(
    "/{campaignId}/workflow",
    response_model=Envelope[WorkflowOut],
    summary="Replace the workflow (draft campaigns)",
)
def replace_workflow(
    request: Request, campaign_id: CampaignId, body: Workflow, caller: CampaignsWrite
) -> object:
    app = container(request)
    id = parse_id(campaign_id, "campaignId")
    with app.db.transaction() as session:
        campaign = campaigns.replace_workflow(
            session, app.clock, caller.group, id, body, app.settings.max_segments
        )
        stored = campaign.workflow
    return ok(request, stored)


@router.post("/{campaignId}/leads", response_model=Envelope[SelectionOut], summary="Select leads")
def select_leads(
    request: Request, campaign_id: CampaignId, body: SelectLeadsIn, caller: CampaignsWrite
) -> object:
    app = container(request)
    id = parse_id(campaign_id, "campaignId")
    lead_ids = [uuid.UUID(value) for value in body.lead_ids]
    with app.db.transaction() as session:
        selection = campaigns.select_leads(session, app.clock, caller.group, id, lead_ids)
    app.wake_workers()
    return ok(
        request,
        SelectionOut(
            added=selection.added,
            already_selected=selection.already_selected,
            selected_lead_count=selection.selected_lead_count,
        ),
    )


@router.get(
    "/{campaignId}/leads",
    response_model=Envelope[Page[CampaignLeadOut]],
    summary="The selected leads and how far each has gone",
)
def campaign_leads(
    request: Request,
    campaign_id: CampaignId,
    caller: CampaignsRead,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> object:
    id = parse_id(campaign_id, "campaignId")
    before = parse_id(cursor, "cursor") if cursor else None
    with container(request).db.reading() as session:
        campaign = campaigns.get(session, caller.group, id)
        found = campaigns.enrollments(session, campaign, before=before, limit=limit + 1)
    page = found[:limit]
    next_cursor = str(page[-1].id) if len(found) > limit else None
    items = [presenters.campaign_lead_out(e) for e in page]
    return ok(request, Page[CampaignLeadOut](items=items, next_cursor=next_cursor))


Action = Callable[[Session, Clock, AccountGroup, uuid.UUID], OutreachCampaign]


def _act(request: Request, caller: CampaignsWrite, campaign_id: str, action: Action) -> object:
    app = container(request)
    id = parse_id(campaign_id, "campaignId")
    with app.db.transaction() as session:
        campaign = action(session, app.clock, caller.group, id)
        out = _out(session, campaign)
    app.wake_workers()
    return ok(request, out)


@router.post("/{campaignId}/start", response_model=Envelope[CampaignOut], summary="Start")
def start(request: Request, campaign_id: CampaignId, caller: CampaignsWrite) -> object:
    return _act(request, caller, campaign_id, campaigns.start)


@router.post("/{campaignId}/pause", response_model=Envelope[CampaignOut], summary="Pause")
def pause(request: Request, campaign_id: CampaignId, caller: CampaignsWrite) -> object:
    return _act(request, caller, campaign_id, campaigns.pause)


@router.post("/{campaignId}/resume", response_model=Envelope[CampaignOut], summary="Resume")
def resume(request: Request, campaign_id: CampaignId, caller: CampaignsWrite) -> object:
    return _act(request, caller, campaign_id, campaigns.resume)


@router.post("/{campaignId}/cancel", response_model=Envelope[CampaignOut], summary="Cancel")
def cancel(request: Request, campaign_id: CampaignId, caller: CampaignsWrite) -> object:
    return _act(request, caller, campaign_id, campaigns.cancel)
