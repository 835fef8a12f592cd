"""The dashboard: sign in with an API key, see campaigns of the three families progress
(pushed over Server-Sent Events), control them, browse messages and the wallet.
Server-rendered; it calls the same services as the API and holds no logic of its own.
Each page needs the scope of its API route (see common.py and the README)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from herald.api.common import container
from herald.billing import service as billing
from herald.errors import HeraldError
from herald.messaging import parts as message_parts
from herald.messaging import queries
from herald.messaging.repository import MessageFilter
from herald.routing import status
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.voice import trunks
from herald.web import admin, campaigns, live, messages, new_campaign, outreach, voice
from herald.web import session as web_session
from herald.web.common import (
    WALLET_SCOPES,
    lacks,
    page,
    principal_of,
    refuse,
    require_csrf,
    sees_wallet,
    to_sign_in,
)

STATIC = Path(__file__).parent / "static"
router = APIRouter(
    prefix="/dashboard", include_in_schema=False, dependencies=[Depends(require_csrf)]
)
for part in (new_campaign, campaigns, messages, voice, outreach, admin):  # /new before /{id}
    router.include_router(part.router)


@router.get("", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    principal = principal_of(request)
    if principal is None:
        return page(request, "login.html", {})
    scopes = principal.scopes
    context: dict[str, Any] = {
        "account": None,
        "rows": None,
        "messages": None,
        "resent": set(),
        "wallet_scope": " or ".join(WALLET_SCOPES),
        "can_send": tenancy.CAMPAIGN_SEND in scopes,
    }
    with container(request).db.reading() as session:
        if sees_wallet(principal):
            context["account"] = billing.get_account(session, principal.billing_account_id)
        if tenancy.CAMPAIGN_READ in scopes:
            context["rows"] = _campaign_rows(session, principal)
            context["live_url"] = "/dashboard/events"
        if tenancy.MESSAGES_READ in scopes:
            singles = queries.list_messages(
                session, principal.organization_id, MessageFilter(), before=None, limit=20
            )
            context["messages"] = singles
            context["resent"] = message_parts.resends(session, [m.id for m in singles])
    return page(request, "overview.html", context, principal=principal)


def _campaign_rows(session: Session, principal: Principal) -> list[tuple[Any, Any]]:
    found = queries.list_campaigns(session, principal.organization_id, before=None, limit=50)
    tallies = queries.tallies(session, [c.id for c in found])
    return [(c, tallies[c.id]) for c in found]


@router.get("/events")
def overview_events(request: Request) -> Response:
    """The campaign list's rows, pushed whenever a campaign progresses."""
    principal = principal_of(request)
    if principal is None or tenancy.CAMPAIGN_READ not in principal.scopes:
        return Response(status_code=403)

    def render() -> tuple[dict[str, str], bool]:
        with container(request).db.reading() as session:
            rows = _campaign_rows(session, principal)
        html = live.fragment(request, "_campaign_rows.html", {"rows": rows})
        return {"campaign-rows": html}, False  # the list is never final: until the tab closes

    return live.stream(request, render)


@router.get("/wallet", response_class=HTMLResponse)
def wallet(request: Request) -> Response:
    """The balance and the latest ledger entries, for a key that spends the wallet."""
    principal = principal_of(request)
    if principal is None:
        return to_sign_in()
    if not sees_wallet(principal):
        return refuse(request, lacks(" or ".join(WALLET_SCOPES)), 403, principal)
    with container(request).db.reading() as session:
        account = billing.get_account(session, principal.billing_account_id)
        entries = billing.ledger(session, principal.billing_account_id, limit=200)
    context = {"account": account, "entries": entries}
    return page(request, "wallet.html", context, principal=principal)


@router.get("/carriers", response_class=HTMLResponse)
def carriers(request: Request) -> Response:
    """Connections and routes, for a key with operator:carriers:read."""
    principal = principal_of(request)
    if principal is None:
        return to_sign_in()
    if tenancy.OPERATOR_CARRIERS_READ not in principal.scopes:
        return refuse(request, lacks(tenancy.OPERATOR_CARRIERS_READ), 403, principal)
    app = container(request)
    with app.db.reading() as session:
        views = status.connections(session, app.router if app.runs_links else None)
        routes = status.routes(session)
        sip_trunks = trunks.list_trunks(session)
    context = {"connections": views, "routes": routes, "trunks": sip_trunks}
    return page(request, "carriers.html", context, principal=principal)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The dashboard's own script and style, shipped in the package: no CDN, works offline."""
    path = STATIC / name
    if name not in {p.name for p in STATIC.iterdir()}:
        return Response(status_code=404)
    return FileResponse(path)


@router.post("/login")
def login(request: Request, api_key: Annotated[str, Form()]) -> Response:
    key = api_key.strip()
    try:
        with container(request).db.reading() as session:
            tenancy.authenticate(session, key)
    except HeraldError as exc:
        return page(request, "login.html", {"error": exc.message}, 401)
    response = RedirectResponse("/dashboard", status_code=303)
    web_session.sign_in(request, response, key)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    web_session.sign_out(response)
    return response
