"""SMS batch campaigns: a campaign's live status, funnel and chart (pushed over SSE), the
actions its state allows, and starting one from an uploaded CSV."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.api.common import container
from herald.errors import HeraldError
from herald.kit.ids import parse_v7
from herald.messaging import campaign_status, control, queries
from herald.messaging import parts as message_parts
from herald.messaging.models import CampaignStatus
from herald.messaging.repository import MessageFilter
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.web import live
from herald.web import session as web_session
from herald.web.charts import timeline_svg
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in

router = APIRouter()
FINAL = frozenset({CampaignStatus.COMPLETED, CampaignStatus.CANCELLED, CampaignStatus.FAILED})
FUNNEL = ("PENDING", "SENT", "DELIVERED", "UNDELIVERED", "FAILED", "EXPIRED", "REJECTED")


def allowed_actions(status: str) -> list[str]:
    """What the campaign's state allows: the same rules campaign_status.py enforces."""
    actions = []
    if status in campaign_status.PAUSABLE:
        actions.append("pause")
    if status == CampaignStatus.PAUSED:
        actions.append("resume")
    if status in campaign_status.CANCELLABLE:
        actions.append("cancel")
    return actions


def _live_context(request: Request, principal: Principal, id: uuid.UUID) -> dict[str, Any]:
    with container(request).db.reading() as session:
        campaign = queries.get_campaign(session, principal.organization_id, id)
        tally = queries.tally(session, id)
        points = queries.timeline(session, id)
    funnel = [(s, tally.by_status.get(s, 0)) for s in FUNNEL]
    funnel += [(s, n) for s, n in tally.by_status.items() if s not in FUNNEL]
    return {
        "campaign": campaign,
        "tally": tally,
        "funnel": funnel,
        "total": sum(tally.by_status.values()),
        "chart": timeline_svg(points),
        "actions": allowed_actions(campaign.status),
        "can_send": tenancy.CAMPAIGN_SEND in principal.scopes,
        "csrf": web_session.csrf_token(request),
        "csrf_field": web_session.CSRF_FIELD,
        "lacks": lacks,
    }


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_detail(request: Request, campaign_id: str) -> Response:
    principal = principal_of(request)
    id = parse_v7(campaign_id)
    if principal is None or id is None:
        return to_sign_in()
    if tenancy.CAMPAIGN_READ not in principal.scopes:
        return refuse(request, lacks(tenancy.CAMPAIGN_READ), 403, principal)
    try:
        context = _live_context(request, principal, id)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    context["messages"], context["resent"] = None, {}
    with container(request).db.reading() as session:
        context["dropped"] = queries.dropped_recipients(
            session, principal.organization_id, id, after=None, limit=200
        )
        if tenancy.MESSAGES_READ in principal.scopes:
            found = queries.list_messages(
                session,
                principal.organization_id,
                MessageFilter(campaign_id=id),
                before=None,
                limit=50,
            )
            context["messages"] = found
            context["resent"] = message_parts.resends(session, [m.id for m in found])
    context["live_url"] = f"/dashboard/campaigns/{id}/events"
    return page(request, "campaign.html", context, principal=principal)


@router.get("/campaigns/{campaign_id}/events")
def campaign_events(request: Request, campaign_id: str) -> Response:
    """The campaign's status, actions, funnel and chart, pushed whenever they change."""
    principal = principal_of(request)
    id = parse_v7(campaign_id)
    if principal is None or id is None or tenancy.CAMPAIGN_READ not in principal.scopes:
        return Response(status_code=403)

    def render() -> tuple[dict[str, str], bool]:
        context = _live_context(request, principal, id)
        fragments = {
            "campaign-state": live.fragment(request, "_campaign_state.html", context),
            "campaign-funnel": live.fragment(request, "_campaign_funnel.html", context),
        }
        return fragments, context["campaign"].status in FINAL

    try:
        render()
    except HeraldError as exc:
        return Response(status_code=exc.status)
    return live.stream(request, render)


@router.post("/campaigns/{campaign_id}/{action}")
def campaign_action(request: Request, campaign_id: str, action: str) -> Response:
    principal = principal_of(request)
    id = parse_v7(campaign_id)
    actions = {"pause": control.pause, "resume": control.resume, "cancel": control.cancel}
    if principal is None or id is None or action not in actions:
        return to_sign_in()
    if tenancy.CAMPAIGN_SEND not in principal.scopes:
        return refuse(request, lacks(tenancy.CAMPAIGN_SEND), 403, principal)
    app = container(request)
    try:
        with app.db.transaction() as session:
            actions[action](session, app.clock, principal.organization_id, id)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    app.wake_workers()
    return RedirectResponse(f"/dashboard/campaigns/{id}", status_code=303)
