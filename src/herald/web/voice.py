"""Voice campaigns, for a key with voice:campaigns:read: calls on the line now against
`max_concurrent_calls`, completed and pending leads, and the call log (outcome, answered
by a human or a machine), the same views the voice API returns, pushed live over SSE;
with voice:campaigns:write, the launch, pause, resume and cancel its state allows (the
same status change as the API's PATCH)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from herald.api.common import container
from herald.errors import HeraldError
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.voice import campaigns, queries
from herald.voice import public_ids as ids
from herald.voice.models import FINAL_CAMPAIGN_STATUSES, CampaignStatus
from herald.web import live
from herald.web import session as web_session
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in

router = APIRouter()
CALLS_SHOWN = 50
# A dashboard action and the status it asks the campaign for.
TARGETS = {
    "launch": CampaignStatus.ACTIVE,
    "pause": CampaignStatus.PAUSED,
    "resume": CampaignStatus.ACTIVE,
    "cancel": CampaignStatus.CANCELLED,
}


def allowed_actions(status: str) -> list[str]:
    """What the campaign's state allows: the same rules campaigns.update_campaign enforces."""
    if status in FINAL_CAMPAIGN_STATUSES:
        return []
    first = {
        CampaignStatus.DRAFT: "launch",
        CampaignStatus.PAUSED: "resume",
    }.get(CampaignStatus(status), "pause")
    return [first, "cancel"]


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
    context = {"campaigns": _listed(request, principal), "live_url": "/dashboard/voice/events"}
    return page(request, "voice.html", context, principal=principal)


def _listed(request: Request, principal: Principal) -> list[dict[str, Any]]:
    app = container(request)
    with app.db.reading() as session:
        return queries.list_campaigns(
            session, principal.organization_id, app.clock.now(), before=None, limit=50
        )


@router.get("/voice/events")
def voice_list_events(request: Request) -> Response:
    """The campaign list's rows, pushed whenever a campaign progresses."""
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return Response(status_code=403)

    def render() -> tuple[dict[str, str], bool]:
        rows = live.fragment(
            request, "_voice_rows.html", {"campaigns": _listed(request, principal)}
        )
        return {"voice-rows": rows}, False  # the list is never final: until the tab closes

    return live.stream(request, render)


def _live_context(
    request: Request, principal: Principal, id: uuid.UUID, public_id: str
) -> dict[str, Any]:
    calls = None
    app = container(request)
    with app.db.reading() as session:
        campaign = queries.campaign(session, principal.organization_id, id, app.clock.now())
        if tenancy.VOICE_CALLS_READ in principal.scopes:
            calls = queries.calls_of_campaign(
                session, principal.organization_id, id, before=None, limit=CALLS_SHOWN
            )
    return {
        "campaign": campaign,
        "calls": calls,
        "lacks": lacks,
        "actions": allowed_actions(campaign["status"]),
        "can_act": tenancy.VOICE_CAMPAIGNS_WRITE in principal.scopes,
        "action_url": f"/dashboard/voice/{public_id}",
        "actions_missing": "Launch, pause, resume, cancel: "
        + lacks(tenancy.VOICE_CAMPAIGNS_WRITE).lower(),
        "csrf": web_session.csrf_token(request),
        "csrf_field": web_session.CSRF_FIELD,
    }


@router.get("/voice/{campaign_id}", response_class=HTMLResponse)
def voice_campaign(request: Request, campaign_id: str) -> Response:
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    id = ids.decode(ids.CAMPAIGN, campaign_id)
    if id is None:
        return refuse(request, "No such campaign.", 404, principal)
    try:
        context = _live_context(request, principal, id, campaign_id)
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
        context = _live_context(request, principal, id, campaign_id)
        html = live.fragment(request, "_voice_live.html", context)
        return {"voice-live": html}, context["campaign"]["status"] in FINAL_CAMPAIGN_STATUSES

    try:
        render()
    except HeraldError as exc:
        return Response(status_code=exc.status)
    return live.stream(request, render)


@router.post("/voice/{campaign_id}/{action}")
def voice_action(request: Request, campaign_id: str, action: str) -> Response:
    principal = principal_of(request)
    id = ids.decode(ids.CAMPAIGN, campaign_id)
    if principal is None or id is None or action not in TARGETS:
        return to_sign_in()
    if tenancy.VOICE_CAMPAIGNS_WRITE not in principal.scopes:
        return refuse(request, lacks(tenancy.VOICE_CAMPAIGNS_WRITE), 403, principal)
    app = container(request)
    changes = campaigns.CampaignChanges(status=TARGETS[action])
    try:
        with app.db.transaction() as session:
            campaigns.update_campaign(session, app.clock, principal.organization_id, id, changes)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    app.wake_workers()
    return RedirectResponse(f"/dashboard/voice/{campaign_id}", status_code=303)


@router.get("/voice/calls/{call_id}/recording")
def voice_recording(request: Request, call_id: str) -> Response:
    """A recorded call's WAV file, for a key that may read the call log."""
    principal = principal_of(request)
    if principal is None:
        return to_sign_in()
    if tenancy.VOICE_CALLS_READ not in principal.scopes:
        return refuse(request, lacks(tenancy.VOICE_CALLS_READ), 403, principal)
    app = container(request)
    try:
        with app.db.reading() as session:
            path = queries.recording_of(
                session,
                principal.organization_id,
                ids.decode(ids.CALL, call_id),
                app.settings.data_dir,
            )
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    return FileResponse(path, media_type="audio/wav", filename=f"{call_id}.wav")
