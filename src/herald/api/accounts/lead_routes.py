"""/v1/accounts/{accountGroupId}/leads, and the account groups a key may use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from herald.api.common import V7Cursor, container, id_in_path
from herald.outreach import access, leads
from herald.outreach.leads import ImportResult, LeadInput

from . import presenters
from .auth import Authenticated, LeadsRead, LeadsWrite, parse_id
from .envelope import ERROR_RESPONSES, Envelope, ok
from .schemas import (
    AccountGroupOut,
    ConversationMessageOut,
    CountryAlpha2,
    ImportLeadsIn,
    ImportOut,
    LeadOut,
    Page,
)

router = APIRouter(prefix="/v1/accounts", tags=["outreach leads"], responses=ERROR_RESPONSES)

LeadId = Annotated[str, id_in_path("Lead ID.", alias="leadId")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = V7Cursor


@router.get(
    "",
    response_model=Envelope[Page[AccountGroupOut]],
    summary="The account groups this API key may use",
)
def account_groups(request: Request, principal: Authenticated) -> object:
    with container(request).db.reading() as session:
        items = [presenters.group_out(g) for g in access.groups_of(session, principal)]
    return ok(request, Page[AccountGroupOut](items=items))


@router.post(
    "/{accountGroupId}/leads",
    response_model=Envelope[ImportOut],
    summary="Import leads (JSON); a known phone number updates its lead",
)
def import_leads(request: Request, body: ImportLeadsIn, caller: LeadsWrite) -> object:
    rows = [
        (
            index,
            LeadInput(
                phone=lead.phone,
                first_name=lead.first_name,
                last_name=lead.last_name,
                email=lead.email,
                company=lead.company,
                language=lead.language,
                time_zone=lead.time_zone,
                fields=dict(lead.fields),
            ),
        )
        for index, lead in enumerate(body.leads)
    ]
    return ok(request, presenters.import_out(_import(request, caller, rows, body.default_country)))


@router.post(
    "/{accountGroupId}/leads/import",
    response_model=Envelope[ImportOut],
    summary="Import leads from a CSV file (Content-Type: text/csv)",
    description=(
        "A header line names the columns: phone (required), firstName, lastName, email, "
        "company, language, timeZone; any other column becomes a custom field. A bad line "
        "is reported by its line number and skipped."
    ),
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_leads_csv(
    request: Request,
    caller: LeadsWrite,
    default_country: Annotated[CountryAlpha2 | None, Query(alias="defaultCountry")] = None,
) -> object:
    rows = leads.parse_csv(await request.body())
    result = await run_in_threadpool(_import, request, caller, rows, default_country)
    return ok(request, presenters.import_out(result))


def _import(
    request: Request,
    caller: LeadsWrite,
    rows: list[tuple[int, LeadInput]],
    default_country: str | None,
) -> ImportResult:
    app = container(request)
    with app.db.transaction() as session:
        return leads.import_leads(session, app.clock, caller.group, rows, default_country)


@router.get("/{accountGroupId}/leads", response_model=Envelope[Page[LeadOut]], summary="Leads")
def list_leads(
    request: Request, caller: LeadsRead, limit: Limit = 50, cursor: Cursor = None
) -> object:
    before = parse_id(cursor, "cursor") if cursor else None
    with container(request).db.reading() as session:
        found = leads.list_leads(session, caller.group, before=before, limit=limit + 1)
    page = found[:limit]
    next_cursor = str(page[-1].id) if len(found) > limit else None
    items = [presenters.lead_out(lead) for lead in page]
    return ok(request, Page[LeadOut](items=items, next_cursor=next_cursor))


@router.get("/{accountGroupId}/leads/{leadId}", response_model=Envelope[LeadOut], summary="Lead")
def get_lead(request: Request, lead_id: LeadId, caller: LeadsRead) -> object:
    id = parse_id(lead_id, "leadId")
    with container(request).db.reading() as session:
        return ok(request, presenters.lead_out(leads.get_lead(session, caller.group, id)))


@router.get(
    "/{accountGroupId}/leads/{leadId}/conversation",
    response_model=Envelope[Page[ConversationMessageOut]],
    summary="The lead's conversation: messages sent and replies received, oldest first",
)
def conversation(request: Request, lead_id: LeadId, caller: LeadsRead) -> object:
    id = parse_id(lead_id, "leadId")
    with container(request).db.reading() as session:
        lead = leads.get_lead(session, caller.group, id)
        items = [presenters.conversation_out(i) for i in leads.conversation(session, lead)]
    return ok(request, Page[ConversationMessageOut](items=items))
