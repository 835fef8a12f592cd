"""The messaging API (/c/v1): routes only; every decision is the services'."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, status
from sqlalchemy.orm import Session

from herald.api.common import UUID_V7_PATTERN, V7Cursor, V7Id, container
from herald.api.inputs import Instant
from herald.errors import ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import parse_v7
from herald.messaging import accept, control, queries
from herald.messaging import parts as message_parts
from herald.messaging.models import Campaign, CampaignStatus, Message, MessageStatus
from herald.messaging.repository import MessageFilter
from herald.whatsapp import templates
from herald.whatsapp.templates import TemplateRequest

from . import presenters
from .auth import BatchSender, CampaignRead, CampaignSend, MessagesRead, MessagesSend
from .schemas import (
    ERROR_RESPONSES,
    ID_MESSAGE,
    UUID_V7_MESSAGE,
    BatchAccepted,
    BatchCampaignIn,
    CampaignList,
    CampaignOut,
    DroppedRecipientList,
    DroppedRecipientOut,
    MessageList,
    MessageOut,
    MessagePartList,
    MessagePartOut,
    Pagination,
    PauseIn,
    SendMessageIn,
    TemplateIn,
    WhatsAppTemplateList,
    WhatsAppTemplateOut,
)

router = APIRouter(prefix="/c/v1", tags=["messaging"], responses=ERROR_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = V7Cursor


def path_id(value: str, field: str) -> uuid.UUID:
    parsed = parse_v7(value)
    if parsed is None:
        # Seeds 000 and 002 word this refusal for campaign_id and message_id.
        seeded = field in ("campaign_id", "message_id")
        raise ValidationFailed({field: UUID_V7_MESSAGE if seeded else ID_MESSAGE})
    return parsed


def cursor_id(value: str | None) -> uuid.UUID | None:
    return path_id(value, "cursor") if value else None  # empty: the first page


@router.post(
    "/campaigns/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    summary="Send Batch Campaign",
    responses={402: ERROR_RESPONSES[404] | {"description": "Insufficient Funds"}},
)
def send_batch_campaign(
    request: Request, body: BatchCampaignIn, principal: BatchSender
) -> BatchAccepted:
    app = container(request)
    batch = accept.BatchRequest(
        name=body.name,
        remitter_id=uuid.UUID(body.remitter_id),
        content=body.content,
        channel_type=body.channel_type,
        recipients=body.recipients,
        country_alpha2=body.country_alpha2,
        scheduled_at=body.scheduled_at,
        max_segments=app.settings.max_segments,
        template=_template(body.template),
    )
    with app.db.transaction() as session:
        campaign = accept.accept_batch(session, app.clock, principal, batch)
    app.wake_workers()
    return BatchAccepted(campaign_id=str(campaign.id))


@router.get("/campaigns", response_model=CampaignList, summary="List Campaigns")
def list_campaigns(
    request: Request,
    principal: CampaignRead,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[CampaignStatus | None, Query()] = None,
) -> CampaignList:
    before = cursor_id(cursor)
    with container(request).db.reading() as session:
        found = queries.list_campaigns(
            session, principal.organization_id, before=before, limit=limit + 1, status=status
        )
        page = found[:limit]
        remitters = queries.remitters_of(session, {c.remitter_id for c in page})
        tallies = queries.tallies(session, [c.id for c in page])
        items = [presenters.campaign_out(c, tallies[c.id], remitters) for c in page]
    return CampaignList(data=items, pagination=_pagination(limit, page, len(found) > limit))


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, summary="Retrieve Campaign")
def retrieve_campaign(request: Request, campaign_id: V7Id, principal: CampaignRead) -> CampaignOut:
    id = path_id(campaign_id, "campaign_id")
    with container(request).db.reading() as session:
        return _campaign_out(session, principal.organization_id, id)


def _campaign_out(session: Session, organization_id: uuid.UUID, id: uuid.UUID) -> CampaignOut:
    campaign = queries.get_campaign(session, organization_id, id)
    remitters = queries.remitters_of(session, {campaign.remitter_id})
    return presenters.campaign_out(campaign, queries.tally(session, id), remitters)


@router.get(
    "/campaigns/{campaign_id}/dropped-recipients",
    response_model=DroppedRecipientList,
    summary="List Dropped Recipients",
)
def list_dropped_recipients(
    request: Request,
    campaign_id: V7Id,
    principal: CampaignRead,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DroppedRecipientList:
    """The recipients of a batch that got no message and were not billed, in the order they
    were submitted, each with its reason: `NOT_A_PHONE_NUMBER`, `INVALID_NUMBER`,
    `DUPLICATE` or `OPTED_OUT`. Empty until the campaign has been expanded."""
    id = path_id(campaign_id, "campaign_id")
    with container(request).db.reading() as session:
        found = queries.dropped_recipients(
            session, principal.organization_id, id, after=cursor_id(cursor), limit=limit + 1
        )
    page = found[:limit]
    has_more = len(found) > limit
    return DroppedRecipientList(
        data=[
            DroppedRecipientOut(
                position=d.position,
                recipient=d.recipient,
                e164_format=d.e164_format,
                reason=d.reason,
            )
            for d in page
        ],
        pagination=Pagination(
            limit=limit, next_cursor=str(page[-1].id) if has_more else None, has_more=has_more
        ),
    )


ControlAction = Callable[[Session, Clock, uuid.UUID, uuid.UUID], object]


def _control(
    request: Request, organization_id: uuid.UUID, campaign_id: str, action: ControlAction
) -> CampaignOut:
    app = container(request)
    id = path_id(campaign_id, "campaign_id")
    with app.db.transaction() as session:
        action(session, app.clock, organization_id, id)
    app.wake_workers()
    with app.db.reading() as session:
        return _campaign_out(session, organization_id, id)


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignOut, summary="Pause Campaign")
def pause_campaign(
    request: Request,
    campaign_id: V7Id,
    principal: CampaignSend,
    body: Annotated[PauseIn | None, Body()] = None,
) -> CampaignOut:
    reason = body.reason if body else None
    return _control(
        request,
        principal.organization_id,
        campaign_id,
        lambda session, clock, org, id: control.pause(session, clock, org, id, reason),
    )


@router.post(
    "/campaigns/{campaign_id}/resume", response_model=CampaignOut, summary="Resume Campaign"
)
def resume_campaign(request: Request, campaign_id: V7Id, principal: CampaignSend) -> CampaignOut:
    return _control(request, principal.organization_id, campaign_id, control.resume)


@router.post(
    "/campaigns/{campaign_id}/cancel", response_model=CampaignOut, summary="Cancel Campaign"
)
def cancel_campaign(request: Request, campaign_id: V7Id, principal: CampaignSend) -> CampaignOut:
    return _control(request, principal.organization_id, campaign_id, control.cancel)


@router.post(
    "/messages",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageOut,
    summary="Send Message",
)
def send_message(request: Request, body: SendMessageIn, principal: MessagesSend) -> MessageOut:
    app = container(request)
    message_request = accept.MessageRequest(
        remitter_id=uuid.UUID(body.remitter_id),
        content=body.content,
        channel_type=body.channel_type,
        recipient=body.recipient,
        country_alpha2=body.country_alpha2,
        external_id=body.external_id,
        contact_id=uuid.UUID(body.contact_id) if body.contact_id else None,
        max_segments=app.settings.max_segments,
        template=_template(body.template),
    )
    with app.db.transaction() as session:
        message = accept.send_message(session, app.clock, principal, message_request)
        remitters = queries.remitters_of(session, {message.remitter_id})
        out = presenters.message_out(message, remitters)
    app.wake_workers()
    return out


def _template(given: TemplateIn | None) -> TemplateRequest | None:
    if given is None:
        return None
    return TemplateRequest(
        given.name, given.language, tuple(given.parameters), tuple(given.header_parameters)
    )


@router.get(
    "/whatsapp/templates",
    response_model=WhatsAppTemplateList,
    summary="List WhatsApp Templates",
)
def list_whatsapp_templates(request: Request, principal: MessagesRead) -> WhatsAppTemplateList:
    """The message templates of the WhatsApp business accounts, as last synced."""
    with container(request).db.reading() as session:
        found = templates.list_templates(session)
        data = [
            WhatsAppTemplateOut(
                connection=t.connection_name,
                name=t.name,
                language=t.language,
                status=t.status,
                category=t.category,
                body=t.body,
                header=t.header,
                parameters=t.body_parameters,
                header_parameters=t.header_parameters,
                synced_at=t.synced_at.isoformat(),
            )
            for t in found
        ]
    return WhatsAppTemplateList(data=data)


@router.get("/messages", response_model=MessageList, summary="List Messages")
def list_messages(
    request: Request,
    principal: MessagesRead,
    limit: Limit = 50,
    cursor: Cursor = None,
    campaign_id: Annotated[
        str | None,
        Query(
            description="Only this campaign's messages.",
            json_schema_extra={"pattern": f"(^$)|({UUID_V7_PATTERN})"},
        ),
    ] = None,
    status: Annotated[MessageStatus | None, Query()] = None,
    e164_format: Annotated[str | None, Query()] = None,
    created_from: Annotated[Instant | None, Query(description="Inclusive lower bound.")] = None,
    created_to: Annotated[Instant | None, Query(description="Exclusive upper bound.")] = None,
) -> MessageList:
    filters = MessageFilter(
        campaign_id=path_id(campaign_id, "campaign_id") if campaign_id else None,
        status=status,
        e164_format=e164_format,
        created_from=created_from,
        created_to=created_to,
    )
    before = cursor_id(cursor)
    with container(request).db.reading() as session:
        found = queries.list_messages(
            session, principal.organization_id, filters, before=before, limit=limit + 1
        )
        page = found[:limit]
        remitters = queries.remitters_of(session, {m.remitter_id for m in page})
        items = [presenters.message_out(m, remitters) for m in page]
    return MessageList(data=items, pagination=_pagination(limit, page, len(found) > limit))


@router.get("/messages/{message_id}", response_model=MessageOut, summary="Retrieve Message")
def retrieve_message(request: Request, message_id: V7Id, principal: MessagesRead) -> MessageOut:
    id = path_id(message_id, "message_id")
    with container(request).db.reading() as session:
        message = queries.get_message(session, principal.organization_id, id)
        remitters = queries.remitters_of(session, {message.remitter_id})
        return presenters.message_out(message, remitters)


@router.get(
    "/messages/{message_id}/parts", response_model=MessagePartList, summary="List Message Parts"
)
def list_message_parts(
    request: Request, message_id: V7Id, principal: MessagesRead
) -> MessagePartList:
    """The parts of a message a carrier took (SMS segments; one part on channels without
    parts): each part's carrier id, its receipt, and how often it was sent again after a try
    whose outcome was unknown (`resends`). Empty until a carrier takes the message.
    Scope: apikey:messages:read."""
    id = path_id(message_id, "message_id")
    with container(request).db.reading() as session:
        queries.get_message(session, principal.organization_id, id)  # 404 unless theirs
        found = message_parts.parts_of(session, [id]).get(id, [])
    return MessagePartList(data=[MessagePartOut(**asdict(p)) for p in found])


def _pagination(limit: int, page: Sequence[Campaign | Message], has_more: bool) -> Pagination:
    next_cursor = str(page[-1].id) if has_more and page else None
    return Pagination(limit=limit, next_cursor=next_cursor, has_more=has_more)
