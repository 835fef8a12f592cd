"""Webhook endpoints of the messaging API (/c/v1/webhooks): routes only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from herald.api.common import V7Id, container
from herald.webhooks import service
from herald.webhooks.models import DeliveryStatus

from .auth import WebhooksManage
from .routes import Cursor, Limit, cursor_id, path_id
from .schemas import ERROR_RESPONSES, Pagination
from .webhook_schemas import (
    WebhookDeliveryList,
    WebhookDeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointList,
    WebhookEndpointOut,
)

router = APIRouter(prefix="/c/v1/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreated,
    summary="Register Webhook Endpoint",
)
def register_endpoint(
    request: Request, body: WebhookEndpointIn, principal: WebhooksManage
) -> WebhookEndpointCreated:
    app = container(request)
    with app.db.transaction() as session:
        endpoint = service.register_endpoint(
            session,
            app.clock,
            app.webhook_guard,
            principal.organization_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
        )
        shown = WebhookEndpointOut.of(endpoint)
    return WebhookEndpointCreated(**shown.model_dump(), secret=endpoint.secret)


@router.get("", response_model=WebhookEndpointList, summary="List Webhook Endpoints")
def list_endpoints(request: Request, principal: WebhooksManage) -> WebhookEndpointList:
    with container(request).db.reading() as session:
        found = service.list_endpoints(session, principal.organization_id)
        return WebhookEndpointList(data=[WebhookEndpointOut.of(e) for e in found])


@router.get(
    "/{endpoint_id}", response_model=WebhookEndpointOut, summary="Retrieve Webhook Endpoint"
)
def retrieve_endpoint(
    request: Request, endpoint_id: V7Id, principal: WebhooksManage
) -> WebhookEndpointOut:
    id = path_id(endpoint_id, "endpoint_id")
    with container(request).db.reading() as session:
        return WebhookEndpointOut.of(service.get_endpoint(session, principal.organization_id, id))


@router.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete Webhook Endpoint"
)
def delete_endpoint(request: Request, endpoint_id: V7Id, principal: WebhooksManage) -> Response:
    id = path_id(endpoint_id, "endpoint_id")
    with container(request).db.transaction() as session:
        service.delete_endpoint(session, principal.organization_id, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/enable",
    response_model=WebhookEndpointOut,
    summary="Re-enable a Disabled Webhook Endpoint",
)
def enable_endpoint(
    request: Request, endpoint_id: V7Id, principal: WebhooksManage
) -> WebhookEndpointOut:
    app = container(request)
    id = path_id(endpoint_id, "endpoint_id")
    with app.db.transaction() as session:
        endpoint = service.enable_endpoint(session, app.clock, principal.organization_id, id)
        shown = WebhookEndpointOut.of(endpoint)
    app.wake_workers()
    return shown


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryList,
    summary="Delivery Log of a Webhook Endpoint",
)
def list_deliveries(
    request: Request,
    endpoint_id: V7Id,
    principal: WebhooksManage,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> WebhookDeliveryList:
    id = path_id(endpoint_id, "endpoint_id")
    with container(request).db.reading() as session:
        found = service.list_deliveries(
            session,
            principal.organization_id,
            id,
            before=cursor_id(cursor),
            limit=limit + 1,
            status=status,
        )
        page = [WebhookDeliveryOut.of(d) for d in found[:limit]]
    has_more = len(found) > limit
    next_cursor = page[-1].id if has_more and page else None
    return WebhookDeliveryList(
        data=page, pagination=Pagination(limit=limit, next_cursor=next_cursor, has_more=has_more)
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookDeliveryOut,
    summary="Replay a Webhook Delivery",
)
def replay_delivery(
    request: Request, endpoint_id: V7Id, delivery_id: V7Id, principal: WebhooksManage
) -> WebhookDeliveryOut:
    app = container(request)
    endpoint = path_id(endpoint_id, "endpoint_id")
    delivery = path_id(delivery_id, "delivery_id")
    with app.db.transaction() as session:
        logged = service.replay(session, app.clock, principal.organization_id, endpoint, delivery)
        shown = WebhookDeliveryOut.of(logged)
    app.wake_workers()
    return shown
