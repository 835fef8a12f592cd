"""What every dashboard page shares: the templates, who is signed in, the page frame
(navigation by scope, the CSRF token) and the plain "this key lacks scope X" refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from herald.api.common import container
from herald.errors import HeraldError
from herald.kit.money import format_micros
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.web import session as web_session

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["money"] = format_micros

# The wallet has no API route of its own; the keys that spend it (and learn from a 402
# that it is short) see its balance and its ledger.
WALLET_SCOPES = (tenancy.CAMPAIGN_SEND, tenancy.MESSAGES_SEND)


def lacks(scope: str) -> str:
    return f"This key lacks the {scope} scope."


def principal_of(request: Request) -> Principal | None:
    key = request.cookies.get(web_session.KEY_COOKIE)
    if not key:
        return None
    try:
        with container(request).db.reading() as session:
            return tenancy.authenticate(session, key)
    except HeraldError:
        return None


def sees_wallet(principal: Principal) -> bool:
    return any(scope in principal.scopes for scope in WALLET_SCOPES)


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The sections a key may open: each link appears only when its scope allows."""
    if principal is None:
        return []
    scopes = principal.scopes
    links = [("Campaigns (SMS)", "/dashboard")]
    if tenancy.OUTREACH_CAMPAIGNS_READ in scopes:  # and then per account-group grant
        links.append(("Outreach", "/dashboard/outreach"))
    if tenancy.VOICE_CAMPAIGNS_READ in scopes:
        links.append(("Voice", "/dashboard/voice"))
    if tenancy.MESSAGES_READ in scopes:
        links.append(("Messages", "/dashboard/messages"))
    if sees_wallet(principal):
        links.append(("Wallet", "/dashboard/wallet"))
    if tenancy.KEYS_MANAGE in scopes:
        links.append(("API keys", "/dashboard/keys"))
    if tenancy.WEBHOOKS_MANAGE in scopes:
        links.append(("Webhooks", "/dashboard/webhooks"))
    if tenancy.OPERATOR_CARRIERS_READ in scopes:
        links.append(("Carriers", "/dashboard/carriers"))
    return links


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    principal: Principal | None = None,
) -> Response:
    frame = {
        "csrf": web_session.csrf_token(request),
        "csrf_field": web_session.CSRF_FIELD,
        "nav": navigation(principal),
        "here": request.url.path,
        "signed_in": principal is not None,
        "lacks": lacks,
    }
    response = templates.TemplateResponse(request, name, {**frame, **context}, status_code=status)
    web_session.remember_csrf(request, response)
    return response


def refuse(request: Request, message: str, status: int, principal: Principal | None) -> Response:
    return page(request, "error.html", {"message": message}, status, principal)


def to_sign_in() -> Response:
    return RedirectResponse("/dashboard", status_code=303)


async def require_csrf(request: Request) -> None:
    """Every POST to the dashboard carries the session's CSRF token, or is refused."""
    if request.method == "POST" and not await web_session.csrf_ok(request):
        raise HTTPException(403, "The form's CSRF token is missing or stale: reload the page.")
