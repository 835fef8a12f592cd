"""The messaging API's inbound messages: replies people sent to a tenant's numbers and
sender IDs, including the opt-out and opt-in keywords they used."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from herald.api.common import QueryDateTime, container
from herald.inbound import service as inbound
from herald.inbound.models import InboundMessage
from herald.inbound.repository import InboundFilter
from herald.kit.clock import isoformat

from .auth import MessagesRead
from .routes import Cursor, Limit, cursor_id
from .schemas import ERROR_RESPONSES, Pagination

router = APIRouter(prefix="/c/v1", tags=["inbound"], responses=ERROR_RESPONSES)


class InboundMessageOut(BaseModel):
    id: str
    organization_id: str
    from_number: str
    to_number: str
    content: str
    action: str | None  # OPT_OUT or OPT_IN when the message was a keyword
    provider_name: str
    received_at: str


class InboundMessageList(BaseModel):
    data: list[InboundMessageOut]
    pagination: Pagination


def _out(row: InboundMessage) -> InboundMessageOut:
    return InboundMessageOut(
        id=str(row.id),
        organization_id=str(row.organization_id),
        from_number=row.from_number,
        to_number=row.to_number,
        content=row.content,
        action=row.action,
        provider_name=row.provider_name,
        received_at=isoformat(row.received_at) or "",
    )


@router.get("/inbound-messages", response_model=InboundMessageList, summary="List Inbound Messages")
def list_inbound_messages(
    request: Request,
    principal: MessagesRead,
    limit: Limit = 50,
    cursor: Cursor = None,
    from_number: Annotated[str | None, Query(description="The sender, in E.164.")] = None,
    to_number: Annotated[str | None, Query(description="Our number or sender ID.")] = None,
    received_from: Annotated[
        QueryDateTime | None, Query(description="Inclusive lower bound.")
    ] = None,
    received_to: Annotated[
        QueryDateTime | None, Query(description="Exclusive upper bound.")
    ] = None,
) -> InboundMessageList:
    """Newest first. Scope: apikey:messages:read."""
    filters = InboundFilter(from_number, to_number, received_from, received_to)
    with container(request).db.reading() as session:
        found = inbound.list_inbound(
            session,
            principal.organization_id,
            filters,
            before=cursor_id(cursor),
            limit=limit + 1,
        )
    page = found[:limit]
    has_more = len(found) > limit
    return InboundMessageList(
        data=[_out(row) for row in page],
        pagination=Pagination(
            limit=limit, next_cursor=str(page[-1].id) if has_more else None, has_more=has_more
        ),
    )
