"""Request and response shapes of the webhook endpoints API (/c/v1/webhooks)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from herald.kit.clock import isoformat
from herald.webhooks.models import WebhookEndpoint
from herald.webhooks.service import LoggedDelivery
from herald.webhooks.signing import webhook_id

from .schemas import Pagination


class WebhookEndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="Where events are POSTed.")
    event_types: list[str] = Field(
        min_length=1,
        max_length=20,
        description="Event types to receive, e.g. campaign.status_changed.",
    )
    description: str | None = Field(default=None, max_length=500)


class WebhookEndpointOut(BaseModel):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    status: str = Field(description="ENABLED, or DISABLED (see disabled_reason).")
    disabled_reason: str | None
    disabled_at: str | None
    failing_since: str | None = Field(description="Start of the current run of failures.")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookEndpointOut:
        return cls(
            id=str(endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            status=endpoint.status,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=isoformat(endpoint.disabled_at),
            failing_since=isoformat(endpoint.failing_since),
            created_at=isoformat(endpoint.created_at) or "",
            updated_at=isoformat(endpoint.updated_at) or "",
        )


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="The signing secret (whsec_…), shown only here.")


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointOut]


class WebhookAttemptOut(BaseModel):
    attempt: int
    attempted_at: str
    status_code: int | None = Field(description="None when no HTTP answer came back.")
    latency_ms: int
    error: str | None


class WebhookDeliveryOut(BaseModel):
    id: str
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event_type: str
    resource_id: str
    status: str = Field(description="PENDING, SUCCEEDED or FAILED (retries exhausted).")
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str
    completed_at: str | None
    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptOut]

    @classmethod
    def of(cls, logged: LoggedDelivery) -> WebhookDeliveryOut:
        delivery, event = logged.delivery, logged.event
        pending = delivery.status == "PENDING"
        return cls(
            id=str(delivery.id),
            webhook_id=webhook_id(event.id),
            event_type=event.event_type,
            resource_id=delivery.resource_id,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=isoformat(delivery.due_at) if pending else None,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=isoformat(delivery.created_at) or "",
            completed_at=isoformat(delivery.completed_at),
            payload=json.loads(event.body),
            attempt_log=[
                WebhookAttemptOut(
                    attempt=a.attempt,
                    attempted_at=isoformat(a.attempted_at) or "",
                    status_code=a.status_code,
                    latency_ms=a.latency_ms,
                    error=a.error,
                )
                for a in logged.attempts
            ],
        )


class WebhookDeliveryList(BaseModel):
    data: list[WebhookDeliveryOut]
    pagination: Pagination
