"""Webhook endpoints (register, list, delete, re-enable), the delivery log, replays, and
what an attempt's answer does to its delivery and its endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from herald.errors import NotFound, ValidationFailed
from herald.kit.clock import Clock, isoformat
from herald.kit.ids import new_id
from herald.webhooks import repository
from herald.webhooks.events import EVENT_TYPES
from herald.webhooks.guard import AddressGuard, UnsafeUrl
from herald.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from herald.webhooks.repository import Job
from herald.webhooks.retry import RetryPolicy, parse_retry_after
from herald.webhooks.sender import Answer
from herald.webhooks.signing import new_secret

log = structlog.get_logger(__name__)

MAX_ENDPOINTS_PER_ORGANIZATION = 20


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # An endpoint whose every attempt failed for this long is disabled.
    disable_after: timedelta = timedelta(hours=72)


@dataclass(frozen=True, slots=True)
class LoggedDelivery:
    delivery: WebhookDelivery
    event: WebhookEvent
    attempts: list[WebhookAttempt]


def endpoint_not_found() -> NotFound:
    return NotFound("The requested webhook endpoint could not be found.")


# -- endpoints -------------------------------------------------------------------------------


def register_endpoint(
    session: Session,
    clock: Clock,
    guard: AddressGuard,
    organization_id: uuid.UUID,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None = None,
) -> WebhookEndpoint:
    """A new endpoint with its own signing secret (shown to the caller once)."""
    _check_event_types(event_types)
    try:
        guard.check_url(url)
    except UnsafeUrl as exc:
        raise ValidationFailed({"url": str(exc)}) from exc
    if len(repository.list_endpoints(session, organization_id)) >= MAX_ENDPOINTS_PER_ORGANIZATION:
        raise ValidationFailed(
            {"url": f"An organization has at most {MAX_ENDPOINTS_PER_ORGANIZATION} endpoints."}
        )
    now = clock.now()
    endpoint = WebhookEndpoint(
        id=new_id(),
        organization_id=organization_id,
        url=url,
        description=description,
        event_types=sorted(set(event_types)),
        secret=new_secret(),
        status=EndpointStatus.ENABLED,
        created_at=now,
        updated_at=now,
    )
    repository.add_endpoint(session, endpoint)
    log.info("webhook.endpoint_registered", endpoint_id=str(endpoint.id), url=url)
    return endpoint


def _check_event_types(event_types: Sequence[str]) -> None:
    if not event_types:
        raise ValidationFailed({"event_types": "Subscribe to at least one event type."})
    unknown = sorted(set(event_types) - EVENT_TYPES)
    if unknown:
        known = ", ".join(sorted(EVENT_TYPES))
        raise ValidationFailed(
            {"event_types": f"Unknown event types: {', '.join(unknown)}. Known: {known}."}
        )


def get_endpoint(
    session: Session, organization_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = repository.get_endpoint(session, organization_id, endpoint_id)
    if endpoint is None:
        raise endpoint_not_found()
    return endpoint


def list_endpoints(session: Session, organization_id: uuid.UUID) -> list[WebhookEndpoint]:
    return repository.list_endpoints(session, organization_id)


def delete_endpoint(session: Session, organization_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    """The endpoint stops receiving at once; its delivery log goes with it."""
    get_endpoint(session, organization_id, endpoint_id)
    # Locked first, as the delivery worker does, so that a delivery being recorded
    # right now finishes before its rows disappear.
    repository.lock_endpoints(session, [endpoint_id])
    repository.delete_endpoint(session, endpoint_id)


def enable_endpoint(
    session: Session, clock: Clock, organization_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """Re-enable a disabled endpoint: the deliveries it missed are retried, in order."""
    endpoint = get_endpoint(session, organization_id, endpoint_id)
    now = clock.now()
    endpoint.status = EndpointStatus.ENABLED
    endpoint.disabled_reason = None
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.updated_at = now
    repository.retry_pending_now(session, endpoint.id, now)
    return endpoint


# -- the delivery log and replays --------------------------------------------------------------


def list_deliveries(
    session: Session,
    organization_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[LoggedDelivery]:
    get_endpoint(session, organization_id, endpoint_id)
    found = repository.list_deliveries(
        session, endpoint_id, before=before, limit=limit, status=status
    )
    attempts = repository.attempts_of(session, [d.id for d, _ in found])
    return [LoggedDelivery(d, e, attempts[d.id]) for d, e in found]


def replay(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
) -> LoggedDelivery:
    """Send a delivery's event again, now, with the same `webhook-id`. A delivery still
    waiting for a retry is simply made due; a finished one gets a new delivery."""
    get_endpoint(session, organization_id, endpoint_id)
    delivery = repository.get_delivery(session, endpoint_id, delivery_id)
    if delivery is None:
        raise NotFound("The requested webhook delivery could not be found.")
    event = repository.get_event(session, delivery.event_id)
    assert event is not None
    now = clock.now()
    if delivery.status == DeliveryStatus.PENDING:
        delivery.due_at = now
        delivery.updated_at = now
        return LoggedDelivery(delivery, event, [])
    last = repository.last_pending(session, [endpoint_id], [delivery.resource_id])
    again = WebhookDelivery(
        id=new_id(),
        event_id=event.id,
        endpoint_id=endpoint_id,
        resource_id=delivery.resource_id,
        after_id=last.get((endpoint_id, delivery.resource_id)),
        status=DeliveryStatus.PENDING,
        attempts=0,
        due_at=now,
        created_at=now,
        updated_at=now,
    )
    repository.add_delivery(session, again)
    return LoggedDelivery(again, event, [])


# -- what an attempt's answer does -------------------------------------------------------------


def record_answers(
    session: Session,
    clock: Clock,
    owner: str,
    answered: Sequence[tuple[Job, datetime, Answer]],
    rules: DeliveryRules,
) -> None:
    """Log each attempt (job, when it was made, the answer), then move its delivery on:
    done on 2xx, due again later otherwise, given up after the retry window. Endpoints
    learn whether they are healthy; a 410 or days of failures disable them."""
    ids = sorted({job.endpoint_id for job, _, _ in answered})
    endpoints = repository.lock_endpoints(session, ids)
    # An endpoint deleted meanwhile took its deliveries with it: nothing left to record.
    answered = [item for item in answered if item[0].endpoint_id in endpoints]
    repository.add_attempts(
        session, [_attempt_row(job, at, answer) for job, at, answer in answered]
    )
    now = clock.now()
    for job, at, answer in sorted(answered, key=lambda item: item[1]):
        if answer.succeeded:
            _succeeded(session, owner, job, answer, now)
        else:
            _failed(session, owner, job, answer, now, rules.retry)
        _learn(endpoints[job.endpoint_id], answer, at, now, rules.disable_after)


def _attempt_row(job: Job, at: datetime, answer: Answer) -> dict[str, object]:
    return {
        "id": new_id(),
        "delivery_id": job.delivery_id,
        "attempt": job.attempt,
        "attempted_at": at,
        "status_code": answer.status_code,
        "latency_ms": answer.latency_ms,
        "error": answer.error,
    }


def _succeeded(session: Session, owner: str, job: Job, answer: Answer, now: datetime) -> None:
    repository.update_held_delivery(
        session,
        job.delivery_id,
        owner,
        {
            "status": DeliveryStatus.SUCCEEDED,
            "last_status_code": answer.status_code,
            "last_error": None,
            "completed_at": now,
            "updated_at": now,
            "due_at": None,
        },
    )


def _failed(
    session: Session, owner: str, job: Job, answer: Answer, now: datetime, retry: RetryPolicy
) -> None:
    wait = parse_retry_after(answer.retry_after, now)
    due = retry.next_attempt(job.attempt, job.created_at, now, wait)
    values: dict[str, object] = {
        "last_status_code": answer.status_code,
        "last_error": answer.error or f"HTTP {answer.status_code}",
        "updated_at": now,
        "due_at": due,
    }
    if due is None:
        values |= {"status": DeliveryStatus.FAILED, "completed_at": now}
    repository.update_held_delivery(session, job.delivery_id, owner, values)


def _learn(
    endpoint: WebhookEndpoint, answer: Answer, at: datetime, now: datetime, disable_after: timedelta
) -> None:
    if answer.succeeded:
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.updated_at = now
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = at
        endpoint.updated_at = now
    if endpoint.status != EndpointStatus.ENABLED:
        return
    if answer.status_code == 410:
        _disable(endpoint, now, "The endpoint answered 410 Gone.")
    elif now - endpoint.failing_since >= disable_after:
        since = isoformat(endpoint.failing_since)
        _disable(endpoint, now, f"Every delivery attempt has failed since {since}.")


def _disable(endpoint: WebhookEndpoint, now: datetime, reason: str) -> None:
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    endpoint.updated_at = now
