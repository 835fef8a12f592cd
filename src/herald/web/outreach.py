"""Outreach campaigns, for a key with campaigns:read, in the account groups it was granted:
each campaign's funnel per workflow step and when a rate limit lets it send again; with
campaigns:write, the start, pause, resume and cancel its state allows (the API's actions)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.api.common import container
from herald.errors import HeraldError
from herald.outreach import access, campaigns
from herald.outreach.models import CampaignStatus
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.web import live
from herald.web import session as web_session
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in

router = APIRouter()
FINAL = frozenset({CampaignStatus.COMPLETED, CampaignStatus.CANCELLED})
STOPPED = ("replied", "cancelled", "opted_out", "failed")
ACTIONS = {
    "start": campaigns.start,
    "pause": campaigns.pause,
    "resume": campaigns.resume,
    "cancel": campaigns.cancel,
}


def allowed_actions(status: str) -> list[str]:
    """What the campaign's state allows: the same rules the campaigns service enforces."""
    first = {
        CampaignStatus.DRAFT: "start",
        CampaignStatus.ACTIVE: "pause",
        CampaignStatus.PAUSED: "resume",
    }.get(CampaignStatus(status))
    return [first, "cancel"] if first else []


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _reader(request: Request) -> tuple[Principal | None, Response | None]:
    principal = principal_of(request)
    if principal is None:
        return None, to_sign_in()
    if tenancy.OUTREACH_CAMPAIGNS_READ not in principal.scopes:
        return principal, refuse(request, lacks(tenancy.OUTREACH_CAMPAIGNS_READ), 403, principal)
    return principal, None


@router.get("/outreach", response_class=HTMLResponse)
def outreach(request: Request) -> Response:
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    context = {"groups": _listed(request, principal), "live_url": "/dashboard/outreach/events"}
    return page(request, "outreach.html", context, principal=principal)


def _listed(request: Request, principal: Principal) -> list[tuple[Any, list[Any]]]:
    groups = []
    with container(request).db.reading() as session:
        for group in access.groups_of(session, principal):
            found = campaigns.list_campaigns(session, group, before=None, limit=50)
            selected = campaigns.selected_counts(session, found)
            groups.append((group, [(c, selected[c.id]) for c in found]))
    return groups


@router.get("/outreach/events")
def outreach_list_events(request: Request) -> Response:
    """The campaign lists' rows, pushed whenever a campaign progresses."""
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return Response(status_code=403)

    def render() -> tuple[dict[str, str], bool]:
        groups = _listed(request, principal)
        rows = live.fragment(request, "_outreach_rows.html", {"groups": groups})
        return {"outreach-rows": rows}, False  # the list is never final: until the tab closes

    return live.stream(request, render)


def _live_context(request: Request, principal: Principal, group_id: Any, id: Any) -> dict:
    with container(request).db.reading() as session:
        group = access.require_access(session, principal, group_id)
        campaign = campaigns.get(session, group, id)
        funnel = campaigns.funnel(session, campaign)
        selected = campaigns.selected_counts(session, [campaign])[campaign.id]
    return {
        "group": group,
        "campaign": campaign,
        "funnel": funnel,
        "selected": selected,
        "stopped": STOPPED,
        "actions": allowed_actions(campaign.status),
        "can_act": tenancy.OUTREACH_CAMPAIGNS_WRITE in principal.scopes,
        "action_url": f"/dashboard/outreach/{group.id}/{campaign.id}",
        "actions_missing": "Start, pause, resume, cancel: "
        + lacks(tenancy.OUTREACH_CAMPAIGNS_WRITE).lower(),
        "state": campaign.status,
        "csrf": web_session.csrf_token(request),
        "csrf_field": web_session.CSRF_FIELD,
    }


@router.get("/outreach/{group_id}/{campaign_id}", response_class=HTMLResponse)
def outreach_campaign(request: Request, group_id: str, campaign_id: str) -> Response:
    principal, refused = _reader(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    gid, cid = _uuid(group_id), _uuid(campaign_id)
    if gid is None or cid is None:
        return refuse(request, "No such campaign.", 404, principal)
    try:
        context = _live_context(request, principal, gid, cid)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    context["live_url"] = f"/dashboard/outreach/{gid}/{cid}/events"
    return page(request, "outreach_campaign.html", context, principal=principal)


@router.get("/outreach/{group_id}/{campaign_id}/events")
def outreach_events(request: Request, group_id: str, campaign_id: str) -> Response:
    principal, refused = _reader(request)
    gid, cid = _uuid(group_id), _uuid(campaign_id)
    if principal is None or refused is not None or gid is None or cid is None:
        return Response(status_code=403)

    def render() -> tuple[dict[str, str], bool]:
        context = _live_context(request, principal, gid, cid)
        html = live.fragment(request, "_outreach_funnel.html", context)
        return {"outreach-funnel": html}, context["campaign"].status in FINAL

    try:
        render()
    except HeraldError as exc:
        return Response(status_code=exc.status)
    return live.stream(request, render)


@router.post("/outreach/{group_id}/{campaign_id}/{action}")
def outreach_action(request: Request, group_id: str, campaign_id: str, action: str) -> Response:
    principal = principal_of(request)
    gid, cid = _uuid(group_id), _uuid(campaign_id)
    if principal is None or gid is None or cid is None or action not in ACTIONS:
        return to_sign_in()
    if tenancy.OUTREACH_CAMPAIGNS_WRITE not in principal.scopes:
        return refuse(request, lacks(tenancy.OUTREACH_CAMPAIGNS_WRITE), 403, principal)
    app = container(request)
    try:
        with app.db.transaction() as session:
            group = access.require_access(session, principal, gid)
            ACTIONS[action](session, app.clock, group, cid)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    app.wake_workers()
    return RedirectResponse(f"/dashboard/outreach/{gid}/{cid}", status_code=303)
