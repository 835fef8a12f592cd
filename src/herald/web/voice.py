"""Voice campaigns, for a key with voice:campaigns:read: calls on the line now against
`max_concurrent_calls`, completed and pending leads, and the call log (outcome, answered
by a human or a machine), the same views the voice API returns, pushed live over SSE."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from herald.api.common import container
from herald.errors import HeraldError
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.voice import public_ids as ids
from herald.voice import queries
from herald.voice.models import FINAL_CAMPAIGN_STATUSES
from herald.web import live
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in

router = APIRouter()
CALLS_SHOWN = 50


def _reader(request: Request) -> tuple[Principal | None, Response | None]:
    principal = principal_of(request)
    if principal is None:
        return None, to_sign_in()
    if tenancy.VOICE_CAMPAIGNS_READ not in principal.scopes:
        return principal, refuse(request, lacks(tenancy.VOICE_CAMPAIGNS_READ), 403, principal)
    return principal, None


@router.get("/voice", response_class=HTMLResponse)
def voice_campaigns(request: Request) -> Response:
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    app = container(request)
    with app.db.reading() as session:
        found = queries.list_campaigns(
            session, principal.organization_id, app.clock.now(), before=None, limit=50
        )
    return page(request, "voice.html", {"campaigns": found}, principal=principal)


def _live_context(request: Request, principal: Principal, id: uuid.UUID) -> dict[str, Any]:
    calls = None
    app = container(request)
    with app.db.reading() as session:
        campaign = queries.campaign(session, principal.organization_id, id, app.clock.now())
        if tenancy.VOICE_CALLS_READ in principal.scopes:
            calls = queries.calls_of_campaign(
                session, principal.organization_id, id, before=None, limit=CALLS_SHOWN
            )
    return {"campaign": campaign, "calls": calls, "lacks": lacks}


@router.get("/voice/{campaign_id}", response_class=HTMLResponse)
def voice_campaign(request: Request, campaign_id: str) -> Response:
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    id = ids.decode(ids.CAMPAIGN, campaign_id)
    if id is None:
        return refuse(request, "No such campaign.", 404, principal)
    try:
        context = _live_context(request, principal, id)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    context["live_url"] = f"/dashboard/voice/{campaign_id}/events"
    return page(request, "voice_campaign.html", context, principal=principal)


@router.get("/voice/{campaign_id}/events")
def voice_events(request: Request, campaign_id: str) -> Response:
    principal, refused = _reader(request)
    id = ids.decode(ids.CAMPAIGN, campaign_id)
    if principal is None or refused is not None or id is None:
        return Response(status_code=403)

    def render() -> tuple[dict[str, str], bool]:
        context = _live_context(request, principal, id)
        html = live.fragment(request, "_voice_live.html", context)
        return {"voice-live": html}, context["campaign"]["status"] in FINAL_CAMPAIGN_STATUSES

    try:
        render()
    except HeraldError as exc:
        return Response(status_code=exc.status)
    return live.stream(request, render)
