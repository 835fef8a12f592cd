"""Call campaigns and their call logs. Routes only: every decision is the services'."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from herald.api.common import container, id_in_path, validation_failed
from herald.api.inputs import KNOWN_COUNTRIES, CountryCode
from herald.tenancy.service import Principal
from herald.voice import campaigns, queries
from herald.voice import public_ids as ids
from herald.voice.campaigns import CampaignChanges, CampaignSpec
from herald.voice.leads import LeadInput, from_csv
from herald.voice.models import CallStatus, CampaignStatus

from .auth import CallsRead, CampaignsRead, CampaignsWrite
from .errors import responses
from .schemas import (
    VoiceCallList,
    VoiceCallOut,
    VoiceCampaignIn,
    VoiceCampaignList,
    VoiceCampaignOut,
    VoiceCampaignPatch,
    VoiceLeadIn,
    VoiceLeadsAdded,
    VoiceLeadsIn,
    as_datetime,
)

router = APIRouter(prefix="/v1/campaigns", tags=["voice"], responses=responses(401, 403))

Limit = Annotated[int, Query(ge=1, le=200)]
# The JSON form of a leads upload, as VoiceLeadsIn validates it (written out because the
# route reads its body itself, to take CSV too).
LEADS_BODY_SCHEMA = {
    "type": "object",
    "required": ["leads"],
    "additionalProperties": False,
    "properties": {
        "leads": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/VoiceLeadIn"},
            "minItems": 1,
            "maxItems": 100_000,
        },
        "default_country": {"type": "string", "pattern": "^[A-Z]{2}$", "enum": KNOWN_COUNTRIES},
    },
}
CampaignId = Annotated[str, id_in_path("The campaign's id.", ids.pattern(ids.CAMPAIGN))]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


def campaign_id_of(value: str) -> uuid.UUID:
    """A campaign id that cannot be ours is a campaign that does not exist (404)."""
    parsed = ids.decode(ids.CAMPAIGN, value)
    if parsed is None:
        raise campaigns.campaign_not_found()
    return parsed


def _leads(items: list[VoiceLeadIn]) -> list[LeadInput]:
    return [LeadInput(i.phone_number, i.name, i.timezone, dict(i.variables)) for i in items]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=VoiceCampaignOut,
    summary="Create Campaign",
    responses=responses(422),
)
def create_campaign(
    request: Request, body: VoiceCampaignIn, principal: CampaignsWrite
) -> VoiceCampaignOut:
    app = container(request)
    spec = CampaignSpec(
        name=body.name,
        agent_id=ids.decode(ids.AGENT, body.agent_id),
        from_phone_number=body.from_phone_number,
        max_concurrent_calls=body.max_concurrent_calls,
        max_retries=body.retry.max_retries,
        retry_interval_minutes=body.retry.retry_interval_minutes,
        leads=_leads(body.leads),
        start_at=as_datetime(body.schedule),
        calling_hours=body.calling_hours.model_dump() if body.calling_hours else None,
        draft=body.status == "draft",
        default_country=body.default_country,
        record_calls=body.record_calls,
    )
    with app.db.transaction() as session:
        campaign = campaigns.create_campaign(session, app.clock, principal, spec)
    app.wake_workers()
    return _campaign_out(request, principal, campaign.id)


@router.get("", response_model=VoiceCampaignList, summary="List Campaigns")
def list_campaigns(
    request: Request,
    principal: CampaignsRead,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[CampaignStatus | None, Query()] = None,
) -> VoiceCampaignList:
    before = ids.decode(ids.CAMPAIGN, cursor) if cursor else None
    app = container(request)
    with app.db.reading() as session:
        found = queries.list_campaigns(
            session,
            principal.organization_id,
            app.clock.now(),
            before=before,
            limit=limit + 1,
            status=status,
        )
    page = [VoiceCampaignOut.model_validate(c) for c in found[:limit]]
    has_more = len(found) > limit
    return VoiceCampaignList(
        data=page, has_more=has_more, next_cursor=page[-1].id if has_more else None
    )


@router.get(
    "/{campaign_id}",
    response_model=VoiceCampaignOut,
    summary="Get Campaign",
    description="The configuration and live progress counters of one campaign.",
    responses=responses(404),
)
def get_campaign(
    request: Request, campaign_id: CampaignId, principal: CampaignsRead
) -> VoiceCampaignOut:
    return _campaign_out(request, principal, campaign_id_of(campaign_id))


@router.patch(
    "/{campaign_id}",
    response_model=VoiceCampaignOut,
    summary="Update Campaign",
    description="Change concurrency, retry rules, schedule or calling hours (live), or the "
    "status: `paused`, `active` (launch a draft, resume a paused campaign), `cancelled`.",
    responses=responses(404, 409, 422),
)
def update_campaign(
    request: Request, campaign_id: CampaignId, body: VoiceCampaignPatch, principal: CampaignsWrite
) -> VoiceCampaignOut:
    app = container(request)
    id = campaign_id_of(campaign_id)
    changes = CampaignChanges(**_changes(body))
    with app.db.transaction() as session:
        campaigns.update_campaign(session, app.clock, principal.organization_id, id, changes)
    app.wake_workers()
    return _campaign_out(request, principal, id)


def _changes(body: VoiceCampaignPatch) -> dict[str, Any]:
    """The fields the request names, in the service's terms (null clears schedule/hours)."""
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    for name in ("name", "max_concurrent_calls", "from_phone_number", "status"):
        if name in given and getattr(body, name) is not None:
            changes[name] = getattr(body, name)
    if "agent_id" in given and body.agent_id is not None:
        changes["agent_id"] = ids.decode(ids.AGENT, body.agent_id)
    if "retry" in given and body.retry is not None:
        for name in body.retry.model_fields_set:
            if getattr(body.retry, name) is not None:
                changes[name] = getattr(body.retry, name)
    if "schedule" in given:
        changes["start_at"] = as_datetime(body.schedule)
    if "calling_hours" in given:
        hours = body.calling_hours
        changes["calling_hours"] = hours.model_dump() if hours else None
    return changes


@router.post(
    "/{campaign_id}/leads",
    response_model=VoiceLeadsAdded,
    summary="Add Leads",
    description="More leads for a campaign that is not finished: a JSON body "
    '`{"leads": [...]}`, or a CSV file (`Content-Type: text/csv`) with a header row naming '
    "a `phone_number` column, optional `name` and `timezone`; other columns become lead "
    "variables. Numbers already in the campaign are skipped.",
    responses=responses(404, 409, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": LEADS_BODY_SCHEMA},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def add_leads(
    request: Request,
    campaign_id: CampaignId,
    principal: CampaignsWrite,
    default_country: Annotated[CountryCode | None, Query()] = None,
) -> VoiceLeadsAdded:
    id = campaign_id_of(campaign_id)
    body = await request.body()
    if request.headers.get("content-type", "").startswith("text/csv"):
        leads = from_csv(body)
    else:
        parsed = _parse_leads(body)
        leads, default_country = _leads(parsed.leads), parsed.default_country or default_country
    return await run_in_threadpool(_add_leads, request, principal, id, leads, default_country)


def _parse_leads(body: bytes) -> VoiceLeadsIn:
    try:
        return VoiceLeadsIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise validation_failed(RequestValidationError(errors)) from exc


def _add_leads(
    request: Request,
    principal: Principal,
    id: uuid.UUID,
    leads: list[LeadInput],
    default_country: str | None,
) -> VoiceLeadsAdded:
    app = container(request)
    with app.db.transaction() as session:
        prepared = campaigns.add_leads(
            session, app.clock, principal.organization_id, id, leads, default_country
        )
    app.wake_workers()
    with app.db.reading() as session:
        total = queries.campaign(session, principal.organization_id, id, app.clock.now())[
            "total_leads"
        ]
    return VoiceLeadsAdded(
        campaign_id=ids.encode(ids.CAMPAIGN, id),
        added=len(prepared.rows),
        duplicates=prepared.duplicates,
        total_leads=total,
    )


@router.get(
    "/{campaign_id}/calls",
    response_model=VoiceCallList,
    summary="Get Calls by Campaign",
    description="Every call attempt of the campaign, newest first.",
    responses=responses(404),
)
def list_calls(
    request: Request,
    campaign_id: CampaignId,
    principal: CallsRead,
    limit: Limit = 100,
    cursor: Cursor = None,
    status: Annotated[CallStatus | None, Query()] = None,
) -> VoiceCallList:
    id = campaign_id_of(campaign_id)
    before = ids.decode(ids.CALL, cursor) if cursor else None
    with container(request).db.reading() as session:
        found = queries.calls_of_campaign(
            session, principal.organization_id, id, before=before, limit=limit + 1, status=status
        )
    page = [VoiceCallOut.model_validate(c) for c in found[:limit]]
    has_more = len(found) > limit
    return VoiceCallList(
        data=page, has_more=has_more, next_cursor=page[-1].id if has_more else None
    )


def _campaign_out(request: Request, principal: Principal, id: uuid.UUID) -> VoiceCampaignOut:
    app = container(request)
    with app.db.reading() as session:
        return VoiceCampaignOut.model_validate(
            queries.campaign(session, principal.organization_id, id, app.clock.now())
        )
