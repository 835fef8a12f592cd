"""Starting a batch (SMS) campaign from an uploaded CSV, in two steps: the upload shows the
numbers found and the cost estimate (the same estimate POST /c/v1/campaigns/batch checks
against the wallet), and only the confirmation accepts it.

A file of more than 1,000 numbers (the API's most per batch) is split into batches of at
most 1,000, each its own campaign named "name (k/n)", accepted together or not at all;
beyond MAX_NUMBERS the upload is refused with a message saying so."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from herald.api.c_v1.schemas import RECIPIENT_PATTERN
from herald.api.common import container
from herald.billing import service as billing
from herald.errors import HeraldError, InsufficientFunds
from herald.kit.numbers_file import batches, numbers_from_csv
from herald.messaging import accept
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in

router = APIRouter()
MAX_BATCH = 1000
MAX_NUMBERS = 10_000  # ten batches; more belongs to the CLI or the API
MAX_UPLOAD_BYTES = 1_000_000
_RECIPIENT = re.compile(RECIPIENT_PATTERN)


def _sender(request: Request) -> tuple[Principal | None, Response | None]:
    principal = principal_of(request)
    if principal is None:
        return None, to_sign_in()
    if tenancy.CAMPAIGN_SEND not in principal.scopes:
        return principal, refuse(request, lacks(tenancy.CAMPAIGN_SEND), 403, principal)
    return principal, None


def _form_page(
    request: Request, principal: Principal, given: dict[str, str], error: str | None = None
) -> Response:
    with container(request).db.reading() as session:
        remitters = tenancy.list_remitters(session, principal.organization_id)
    context = {
        "remitters": [r for r in remitters if r.status == "APPROVED"],
        "given": given,
        "error": error,
    }
    return page(request, "new_campaign.html", context, 422 if error else 200, principal)


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_campaign(request: Request) -> Response:
    principal, refused = _sender(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    return _form_page(request, principal, {})


def _requests(fields: dict[str, str], numbers: list[str], max_segments: int) -> list[Any]:
    chunks = batches(numbers, MAX_BATCH)
    return [
        accept.BatchRequest(
            name=fields["name"] if len(chunks) == 1 else f"{fields['name']} ({i}/{len(chunks)})",
            remitter_id=uuid.UUID(fields["remitter_id"]),
            content=fields["content"],
            channel_type="SMS",
            recipients=chunk,
            country_alpha2=fields.get("country") or None,
            max_segments=max_segments,
        )
        for i, chunk in enumerate(chunks, start=1)
    ]


def _problem(fields: dict[str, str], numbers: list[str]) -> str | None:
    """What stops the upload before any estimate, in plain words."""
    missing = [f for f in ("name", "content", "remitter_id") if not fields.get(f)]
    if missing:
        return f"Fill in: {', '.join(missing)}."
    if len(numbers) < 2:
        return "The file holds fewer than 2 numbers: a batch campaign needs at least 2."
    if len(numbers) > MAX_NUMBERS:
        return (
            f"The file holds {len(numbers):,} numbers; the dashboard starts at most "
            f"{MAX_NUMBERS:,} at once. Split the file, or use `herald campaign send --file`."
        )
    bad = next((n for n in numbers if not _RECIPIENT.match(n)), None)
    if bad is not None:
        return f"Not a phone number: {bad!r}."
    return None


def _fields(form: Any) -> dict[str, str]:
    names = ("name", "content", "remitter_id", "country")
    return {n: str(form.get(n) or "").strip() for n in names}


@router.post("/campaigns/new", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """Reads the file and shows the estimate; nothing is accepted yet."""
    principal, refused = _sender(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    form = await request.form()
    fields, file = _fields(form), form.get("file")
    if not isinstance(file, UploadFile):
        return _form_page(request, principal, fields, "Choose a CSV file of phone numbers.")
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        return _form_page(request, principal, fields, "The file is larger than 1 MB.")
    try:
        numbers = numbers_from_csv(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _form_page(request, principal, fields, "The file is not UTF-8 text.")
    return _estimate(request, principal, fields, numbers)


def _estimate(
    request: Request, principal: Principal, fields: dict[str, str], numbers: list[str]
) -> Response:
    problem = _problem(fields, numbers)
    if problem is not None:
        return _form_page(request, principal, fields, problem)
    app = container(request)
    try:
        with app.db.reading() as session:
            plans = _requests(fields, numbers, app.settings.max_segments)
            estimates = [accept.estimate_batch(session, principal, p) for p in plans]
            account = billing.get_account(session, principal.billing_account_id)
    except (HeraldError, ValueError) as exc:
        return _form_page(request, principal, fields, _message(exc))
    context = {
        "given": fields,
        "numbers": numbers,
        "batches": list(zip(plans, estimates, strict=True)),
        "estimate": sum(estimates),
        "account": account,
        "affordable": account.balance_micros >= sum(estimates),
    }
    return page(request, "confirm_campaign.html", context, principal=principal)


def _message(exc: Exception) -> str:
    if isinstance(exc, HeraldError):
        details = getattr(exc, "fields", None) or {}
        return " ".join([exc.message, *(str(v) for v in details.values())])
    return "Choose an approved sender ID."


@router.post("/campaigns/confirm")
async def confirm(request: Request) -> Response:
    """Accepts every batch of the confirmed upload in one transaction."""
    principal, refused = _sender(request)
    if principal is None or refused is not None:
        return refused or to_sign_in()
    form = await request.form()
    fields = _fields(form)
    numbers = [n for n in str(form.get("numbers") or "").splitlines() if n.strip()]
    problem = _problem(fields, numbers)
    if problem is not None:
        return _form_page(request, principal, fields, problem)
    app = container(request)
    try:
        with app.db.transaction() as session:
            plans = _requests(fields, numbers, app.settings.max_segments)
            total = sum(accept.estimate_batch(session, principal, p) for p in plans)
            if billing.get_account(session, principal.billing_account_id).balance_micros < total:
                raise InsufficientFunds(billing.INSUFFICIENT_FUNDS_MESSAGE)
            accepted = [accept.accept_batch(session, app.clock, principal, p) for p in plans]
    except (HeraldError, ValueError) as exc:
        return _form_page(request, principal, fields, _message(exc))
    app.wake_workers()
    target = f"/dashboard/campaigns/{accepted[0].id}" if len(accepted) == 1 else "/dashboard"
    return RedirectResponse(target, status_code=303)
