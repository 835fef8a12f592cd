"""Every SQL statement of the webhooks domain. Bulk paths use Core statements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from herald.queue.claim import claim, lease_is_free
from herald.queue.stats import Backlog, backlog
from herald.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

endpoints: Table = WebhookEndpoint.__table__  # type: ignore[assignment]
events: Table = WebhookEvent.__table__  # type: ignore[assignment]
deliveries: Table = WebhookDelivery.__table__  # type: ignore[assignment]
attempts: Table = WebhookAttempt.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery with everything needed to send it."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    url: str
    secret: str
    body: str
    attempt: int
    created_at: datetime


# -- endpoints -------------------------------------------------------------------------------


def add_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    session.flush()


def get_endpoint(
    session: Session, organization_id: uuid.UUID, id: uuid.UUID
) -> WebhookEndpoint | None:
    endpoint = session.get(WebhookEndpoint, id)
    if endpoint is None or endpoint.organization_id != organization_id:
        return None
    return endpoint


def list_endpoints(session: Session, organization_id: uuid.UUID) -> list[WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id == organization_id)
        .order_by(WebhookEndpoint.id)
    )
    return list(session.scalars(stmt))


def enabled_endpoints(
    session: Session, organization_id: uuid.UUID
) -> list[tuple[uuid.UUID, list[str]]]:
    """(id, event types) of the organization's enabled endpoints."""
    stmt = select(endpoints.c.id, endpoints.c.event_types).where(
        endpoints.c.organization_id == organization_id,
        endpoints.c.status == EndpointStatus.ENABLED,
    )
    return [(id, list(types)) for id, types in session.execute(stmt).all()]


def any_enabled_endpoint(session: Session) -> bool:
    """Cheap check that lets publishers skip rendering when nobody listens at all."""
    stmt = select(exists().where(endpoints.c.status == EndpointStatus.ENABLED))
    return bool(session.scalar(stmt))


def delete_endpoint(session: Session, endpoint_id: uuid.UUID) -> None:
    """The endpoint, its deliveries and their attempts (events stay: other endpoints)."""
    ours = select(deliveries.c.id).where(deliveries.c.endpoint_id == endpoint_id)
    session.execute(delete(attempts).where(attempts.c.delivery_id.in_(ours.scalar_subquery())))
    session.execute(delete(deliveries).where(deliveries.c.endpoint_id == endpoint_id))
    session.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))


def retry_pending_now(session: Session, endpoint_id: uuid.UUID, now: datetime) -> None:
    """Every waiting delivery of the endpoint is due now (it was just re-enabled)."""
    stmt = (
        update(deliveries)
        .where(
            deliveries.c.endpoint_id == endpoint_id,
            deliveries.c.status == DeliveryStatus.PENDING,
        )
        .values(due_at=now, updated_at=now)
    )
    session.execute(stmt)


def lock_endpoints(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id.in_(ids))
        .order_by(WebhookEndpoint.id)
        # NO KEY UPDATE: deliveries being inserted meanwhile (which share-lock the key
        # they reference) do not wait for us, nor we for them.
        .with_for_update(key_share=True)
    )
    return {e.id: e for e in session.scalars(stmt)}


# -- events and deliveries ---------------------------------------------------------------------


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(events), list(rows))


def insert_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(deliveries), list(rows))


def _claimable(now: datetime) -> list[ColumnElement[bool]]:
    """Due deliveries of enabled endpoints whose predecessor (if any) is done."""
    # A scalar subquery, not a NOT EXISTS: it stays one primary-key probe per candidate
    # whatever the planner believes (its statistics are stale right after a burst of
    # inserts, and the anti-join it then picks scans every pending row per candidate).
    before = deliveries.alias("before")
    predecessor = select(before.c.status).where(before.c.id == deliveries.c.after_id)
    predecessor_done = or_(
        deliveries.c.after_id.is_(None),
        func.coalesce(predecessor.scalar_subquery(), "GONE") != DeliveryStatus.PENDING,
    )
    endpoint_enabled = exists().where(
        endpoints.c.id == deliveries.c.endpoint_id,
        endpoints.c.status == EndpointStatus.ENABLED,
    )
    return [
        deliveries.c.status == DeliveryStatus.PENDING,
        deliveries.c.due_at <= now,
        endpoint_enabled,
        predecessor_done,
    ]


def last_pending(
    session: Session, endpoint_ids: Sequence[uuid.UUID], resource_ids: Sequence[str]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    """The newest pending delivery of each (endpoint, resource) among those given: what
    a new delivery about the same resource must wait for."""
    if not endpoint_ids or not resource_ids:
        return {}
    stmt = select(deliveries.c.endpoint_id, deliveries.c.resource_id, deliveries.c.id).where(
        deliveries.c.endpoint_id.in_(endpoint_ids),
        deliveries.c.resource_id.in_(resource_ids),
        deliveries.c.status == DeliveryStatus.PENDING,
    )
    last: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    for endpoint_id, resource_id, id in session.execute(stmt).all():
        key = (endpoint_id, resource_id)
        if key not in last or id > last[key]:
            last[key] = id
    return last


def any_due(session: Session, now: datetime) -> bool:
    stmt = select(exists().where(*_claimable(now), lease_is_free(deliveries, now)))
    return bool(session.scalar(stmt))


def claim_deliveries(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Job]:
    rows = claim(
        session,
        deliveries,
        where=_claimable(now),
        order_by=[deliveries.c.due_at, deliveries.c.id],
        limit=limit,
        owner=owner,
        now=now,
        lease=lease,
        values={"attempts": deliveries.c.attempts + 1},
    )
    if not rows:
        return []
    return _jobs(session, rows)


def _jobs(session: Session, rows: Sequence[Row[Any]]) -> list[Job]:
    stmt = (
        select(
            deliveries.c.id,
            events.c.id,
            events.c.body,
            endpoints.c.id,
            endpoints.c.url,
            endpoints.c.secret,
        )
        .join(events, events.c.id == deliveries.c.event_id)
        .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
        .where(deliveries.c.id.in_([r.id for r in rows]))
    )
    found = {row[0]: row for row in session.execute(stmt).all()}
    jobs = []
    for row in sorted(rows, key=lambda r: (r.due_at, r.id)):
        _, event_id, body, endpoint_id, url, secret = found[row.id]
        jobs.append(
            Job(row.id, endpoint_id, event_id, url, secret, body, row.attempts, row.created_at)
        )
    return jobs


def add_attempts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(attempts), list(rows))


def update_held_delivery(
    session: Session, delivery_id: uuid.UUID, owner: str, values: dict[str, Any]
) -> bool:
    """Write `values` on a delivery only if this worker still holds it."""
    stmt = (
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == DeliveryStatus.PENDING,
            deliveries.c.lease_owner == owner,
        )
        .values(lease_owner=None, lease_until=None, **values)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def get_delivery(
    session: Session, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        return None
    return delivery


def get_event(session: Session, event_id: uuid.UUID) -> WebhookEvent | None:
    return session.get(WebhookEvent, event_id)


def list_deliveries(
    session: Session,
    endpoint_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    stmt = (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
    )
    if before is not None:
        stmt = stmt.where(WebhookDelivery.id < before)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    stmt = stmt.order_by(WebhookDelivery.id.desc()).limit(limit)
    return [(d, e) for d, e in session.execute(stmt).all()]


def attempts_of(
    session: Session, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    found: dict[uuid.UUID, list[WebhookAttempt]] = {id: [] for id in delivery_ids}
    if not delivery_ids:
        return found
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt, WebhookAttempt.id)
    )
    for attempt in session.scalars(stmt):
        found[attempt.delivery_id].append(attempt)
    return found


def add_delivery(session: Session, delivery: WebhookDelivery) -> None:
    session.add(delivery)
    session.flush()


# -- what the operator watches -----------------------------------------------------------------


def count_deliveries_by_status(session: Session) -> dict[str, int]:
    stmt = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
    return {status: int(n) for status, n in session.execute(stmt).all()}


def delivery_backlog(session: Session, now: datetime) -> Backlog:
    return backlog(session, deliveries, [deliveries.c.status == DeliveryStatus.PENDING], now)
