"""A small read-mostly dashboard: sign in with an API key, watch campaigns progress,
pause/resume/cancel them, and see the wallet. Server-rendered; it calls the same services
as the API and holds no logic of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from herald.api.common import container
from herald.billing import service as billing
from herald.errors import HeraldError
from herald.kit.ids import parse_v7
from herald.kit.money import format_micros
from herald.messaging import control, queries
from herald.messaging.repository import MessageFilter
from herald.providers.smpp import parts as smpp_parts
from herald.routing import status
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal

COOKIE = "herald_key"
router = APIRouter(prefix="/dashboard", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["money"] = format_micros


def _principal(request: Request) -> Principal | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    try:
        with container(request).db.reading() as session:
            return tenancy.authenticate(session, key)
    except HeraldError:
        return None


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


# The dashboard shows what the API would show the same key: each part needs the scope of
# its API route. The wallet has no API route of its own; the keys that spend it (and learn
# from a 402 that it is short) see its balance.
WALLET_SCOPES = (tenancy.CAMPAIGN_SEND, tenancy.MESSAGES_SEND)


def lacks(scope: str) -> str:
    return f"This key lacks the {scope} scope."


def _sees_wallet(principal: Principal) -> bool:
    return any(scope in principal.scopes for scope in WALLET_SCOPES)


@router.get("", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    principal = _principal(request)
    if principal is None:
        return _page(request, "login.html", {})
    scopes = principal.scopes
    context: dict[str, Any] = {
        "account": None,
        "rows": None,
        "messages": None,
        "resent": set(),
        "operator": tenancy.OPERATOR_CARRIERS_READ in scopes,
        "lacks": lacks,
        "wallet_scope": " or ".join(WALLET_SCOPES),
    }
    with container(request).db.reading() as session:
        if _sees_wallet(principal):
            context["account"] = billing.get_account(session, principal.billing_account_id)
        if tenancy.CAMPAIGN_READ in scopes:
            campaigns = queries.list_campaigns(
                session, principal.organization_id, before=None, limit=50
            )
            tallies = queries.tallies(session, [c.id for c in campaigns])
            context["rows"] = [(c, tallies[c.id]) for c in campaigns]
        if tenancy.MESSAGES_READ in scopes:
            singles = queries.list_messages(
                session, principal.organization_id, MessageFilter(), before=None, limit=20
            )
            context["messages"] = singles
            context["resent"] = smpp_parts.resends(session, [m.id for m in singles])
    return _page(request, "overview.html", context)


@router.get("/carriers", response_class=HTMLResponse)
def carriers(request: Request) -> Response:
    """Connections and routes, for a key with operator:carriers:read."""
    principal = _principal(request)
    if principal is None:
        return RedirectResponse("/dashboard", status_code=303)
    if tenancy.OPERATOR_CARRIERS_READ not in principal.scopes:
        message = lacks(tenancy.OPERATOR_CARRIERS_READ)
        return _page(request, "error.html", {"message": message}, 403)
    app = container(request)
    with app.db.reading() as session:
        views = status.connections(session, app.router if app.runs_links else None)
        routes = status.routes(session)
    return _page(request, "carriers.html", {"connections": views, "routes": routes})


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_detail(request: Request, campaign_id: str) -> Response:
    principal = _principal(request)
    id = parse_v7(campaign_id)
    if principal is None or id is None:
        return RedirectResponse("/dashboard", status_code=303)
    if tenancy.CAMPAIGN_READ not in principal.scopes:
        return _page(request, "error.html", {"message": lacks(tenancy.CAMPAIGN_READ)}, 403)
    context: dict[str, Any] = {
        "messages": None,
        "resent": set(),
        "lacks": lacks,
        "can_send": tenancy.CAMPAIGN_SEND in principal.scopes,
    }
    with container(request).db.reading() as session:
        try:
            context["campaign"] = queries.get_campaign(session, principal.organization_id, id)
        except HeraldError as exc:
            return _page(request, "error.html", {"message": exc.message}, exc.status)
        context["tally"] = queries.tally(session, id)
        context["dropped"] = queries.dropped_recipients(
            session, principal.organization_id, id, after=None, limit=200
        )
        if tenancy.MESSAGES_READ in principal.scopes:
            messages = queries.list_messages(
                session,
                principal.organization_id,
                MessageFilter(campaign_id=id),
                before=None,
                limit=200,
            )
            context["messages"] = messages
            context["resent"] = smpp_parts.resends(session, [m.id for m in messages])
    return _page(request, "campaign.html", context)


@router.post("/campaigns/{campaign_id}/{action}")
def campaign_action(request: Request, campaign_id: str, action: str) -> Response:
    principal = _principal(request)
    id = parse_v7(campaign_id)
    actions = {"pause": control.pause, "resume": control.resume, "cancel": control.cancel}
    if principal is None or id is None or action not in actions:
        return RedirectResponse("/dashboard", status_code=303)
    if tenancy.CAMPAIGN_SEND not in principal.scopes:
        return _page(request, "error.html", {"message": lacks(tenancy.CAMPAIGN_SEND)}, 403)
    app = container(request)
    try:
        with app.db.transaction() as session:
            actions[action](session, app.clock, principal.organization_id, id)
    except HeraldError as exc:
        return _page(request, "error.html", {"message": exc.message}, exc.status)
    app.wake_workers()
    return RedirectResponse(f"/dashboard/campaigns/{id}", status_code=303)


@router.post("/login")
def login(request: Request, api_key: Annotated[str, Form()]) -> Response:
    try:
        with container(request).db.reading() as session:
            tenancy.authenticate(session, api_key.strip())
    except HeraldError as exc:
        return _page(request, "login.html", {"error": exc.message}, 401)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(COOKIE, api_key.strip(), httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    response.delete_cookie(COOKIE)
    return response
