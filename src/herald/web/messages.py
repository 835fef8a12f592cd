"""Messages: filter by status, number, campaign and dates, page with a cursor, export the
filtered set as CSV, and open one message (its parts, receipts, cost and refund)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from herald.api.common import container
from herald.errors import HeraldError
from herald.kit.ids import parse_v7
from herald.kit.money import format_micros
from herald.messaging import parts as message_parts
from herald.messaging import queries
from herald.messaging.models import Message, MessageStatus
from herald.messaging.repository import MessageFilter
from herald.tenancy import service as tenancy
from herald.web.common import lacks, page, principal_of, refuse, to_sign_in

router = APIRouter()
PAGE = 50
EXPORT_CHUNK = 1000
CSV_COLUMNS = ("id", "campaign_id", "to", "status", "error_code", "cost", "refunded", "sent_at")


def _day(value: str, end: bool) -> datetime | None:
    """A date from the filter form (YYYY-MM-DD, UTC); the 'to' day is included whole."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def filters_of(request: Request) -> tuple[MessageFilter, dict[str, str]]:
    given = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    status = given.get("status", "").upper()
    return (
        MessageFilter(
            campaign_id=parse_v7(given.get("campaign", "")),
            status=status if status in MessageStatus.__members__ else None,
            e164_format=given.get("number") or None,
            created_from=_day(given.get("from", ""), end=False),
            created_to=_day(given.get("to", ""), end=True),
        ),
        given,
    )


def _reader(request: Request) -> tuple[Any, Response | None]:
    principal = principal_of(request)
    if principal is None:
        return None, to_sign_in()
    if tenancy.MESSAGES_READ not in principal.scopes:
        return principal, refuse(request, lacks(tenancy.MESSAGES_READ), 403, principal)
    return principal, None


@router.get("/messages", response_class=HTMLResponse)
def list_messages(request: Request) -> Response:
    principal, refused = _reader(request)
    if refused is not None:
        return refused
    filters, given = filters_of(request)
    before = parse_v7(given.get("before", ""))
    with container(request).db.reading() as session:
        found = queries.list_messages(
            session, principal.organization_id, filters, before=before, limit=PAGE + 1
        )
        shown = found[:PAGE]
        resent = message_parts.resends(session, [m.id for m in shown])
    kept = {k: v for k, v in given.items() if k != "before"}
    context = {
        "messages": shown,
        "resent": resent,
        "given": kept,
        "statuses": [s.value for s in MessageStatus],
        "next_before": shown[-1].id if len(found) > PAGE else None,
        "query": "&".join(f"{k}={v}" for k, v in kept.items()),
    }
    return page(request, "messages_page.html", context, principal=principal)


@router.get("/messages.csv")
def export_messages(request: Request) -> Response:
    """Every message the filters select, newest first, fetched a thousand at a time."""
    principal, refused = _reader(request)
    if refused is not None:
        return refused
    filters, _ = filters_of(request)
    db = container(request).db

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        before: uuid.UUID | None = None
        while True:
            with db.reading() as session:
                chunk = queries.list_messages(
                    session, principal.organization_id, filters, before=before, limit=EXPORT_CHUNK
                )
            for m in chunk:
                writer.writerow(_csv_row(m))
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if len(chunk) < EXPORT_CHUNK:
                return
            before = chunk[-1].id

    headers = {"Content-Disposition": 'attachment; filename="messages.csv"'}
    return StreamingResponse(rows(), media_type="text/csv", headers=headers)


def _csv_row(m: Message) -> list[str]:
    sent = m.sent_at.isoformat() if m.sent_at else ""
    return [
        str(m.id),
        str(m.campaign_id or ""),
        m.e164_format,
        m.status,
        m.error_code or "",
        format_micros(m.cost_micros),
        "yes" if m.is_refunded else "",
        sent,
    ]


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_detail(request: Request, message_id: str) -> Response:
    principal, refused = _reader(request)
    if refused is not None:
        return refused
    id = parse_v7(message_id)
    if id is None:
        return refuse(request, "No such message.", 404, principal)
    try:
        with container(request).db.reading() as session:
            message = queries.get_message(session, principal.organization_id, id)
            parts = message_parts.parts_of(session, [id]).get(id, [])
    except HeraldError as exc:
        return refuse(request, exc.message, exc.status, principal)
    context = {"message": message, "parts": parts}
    return page(request, "message.html", context, principal=principal)
