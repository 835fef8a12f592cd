"""The tenant's API keys (apikey:keys:manage: create with scopes, the secret shown once;
revoke) and webhook endpoints with their deliveries and replay (apikey:webhooks:manage)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.api.common import container
from herald.errors import HeraldError, NotFound
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in
from herald.webhooks import service as webhooks

router = APIRouter()
DELIVERIES_SHOWN = 20


def _holding(request: Request, scope: str) -> tuple[Principal | None, Response | None]:
    principal = principal_of(request)
    if principal is None:
        return None, to_sign_in()
    if scope not in principal.scopes:
        return principal, refuse(request, lacks(scope), 403, principal)
    return principal, None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _keys_page(
    request: Request, principal: Principal, created: str | None = None, error: str | None = None
) -> Response:
    with container(request).db.reading() as session:
        keys = tenancy.list_keys(session, principal.organization_id)
    context = {
        "keys": keys,
        "grantable": sorted(principal.scopes),
        "created": created,
        "error": error,
        "me": principal.key_id,
    }
    return page(request, "keys.html", context, 422 if error else 200, principal)


@router.get("/keys", response_class=HTMLResponse)
def keys(request: Request) -> Response:
    principal, refused = _holding(request, tenancy.KEYS_MANAGE)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    return _keys_page(request, principal)


@router.post("/keys", response_class=HTMLResponse)
async def create_key(request: Request) -> Response:
    """Shows the new key's secret on this one page; it is stored only as a hash."""
    principal, refused = _holding(request, tenancy.KEYS_MANAGE)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    form = await request.form()
    scopes = tuple(str(s) for s in form.getlist("scopes"))
    app = container(request)
    try:
        with app.db.transaction() as session:
            new = tenancy.delegate_key(
                session, app.clock, principal, str(form.get("name") or ""), scopes
            )
    except HeraldError as exc:
        details = getattr(exc, "fields", None) or {}
        return _keys_page(request, principal, error=" ".join(str(v) for v in details.values()))
    return _keys_page(request, principal, created=new.secret)


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: str) -> Response:
    principal, refused = _holding(request, tenancy.KEYS_MANAGE)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    id = _uuid(key_id)
    app = container(request)
    try:
        if id is None:
            raise NotFound("The API key does not exist.")
        with app.db.transaction() as session:
            tenancy.revoke_own_key(session, app.clock, principal, id)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    return RedirectResponse("/dashboard/keys", status_code=303)


@router.get("/webhooks", response_class=HTMLResponse)
def webhook_endpoints(request: Request) -> Response:
    principal, refused = _holding(request, tenancy.WEBHOOKS_MANAGE)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    with container(request).db.reading() as session:
        endpoints = [
            (
                e,
                webhooks.list_deliveries(
                    session, principal.organization_id, e.id, before=None, limit=DELIVERIES_SHOWN
                ),
            )
            for e in webhooks.list_endpoints(session, principal.organization_id)
        ]
    return page(request, "webhooks.html", {"endpoints": endpoints}, principal=principal)


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")
def replay(request: Request, endpoint_id: str, delivery_id: str) -> Response:
    principal, refused = _holding(request, tenancy.WEBHOOKS_MANAGE)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    endpoint, delivery = _uuid(endpoint_id), _uuid(delivery_id)
    if endpoint is None or delivery is None:
        return refuse(request, "No such delivery.", 404, principal)
    app = container(request)
    try:
        with app.db.transaction() as session:
            webhooks.replay(session, app.clock, principal.organization_id, endpoint, delivery)
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    app.wake_workers()
    return RedirectResponse("/dashboard/webhooks", status_code=303)
