"""Publishing events for webhook subscribers.

Call `publish` inside the transaction that makes the change, so that the event exists if
and only if the change does. Each subscribed endpoint gets a delivery row in the same
transaction; the delivery worker sends it after the commit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from herald.kit.clock import Clock, isoformat
from herald.kit.ids import new_id
from herald.webhooks import repository
from herald.webhooks.models import DeliveryStatus

CAMPAIGN_STATUS_CHANGED = "campaign.status_changed"
MESSAGE_STATUS_CHANGED = "message.status_changed"

# The event types an endpoint may subscribe to. A domain that publishes a new type
# declares it (at import time of its service module) with `declare`.
EVENT_TYPES: set[str] = {CAMPAIGN_STATUS_CHANGED, MESSAGE_STATUS_CHANGED}


def declare(*event_types: str) -> None:
    EVENT_TYPES.update(event_types)


def publish(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    event_type: str,
    resource_id: str,
    resource: dict[str, Any],
) -> None:
    """Queue `event_type` (e.g. "message.status_changed") about one resource, shown as the
    API shows it, for every endpoint of the organization subscribed to that type."""
    publish_many(session, clock.now(), organization_id, event_type, [(resource_id, resource)])


def anyone_listening(session: Session) -> bool:
    """False when no endpoint is enabled anywhere: publishers may skip building payloads."""
    return repository.any_enabled_endpoint(session)


def publish_many(
    session: Session,
    now: datetime,
    organization_id: uuid.UUID,
    event_type: str,
    items: Iterable[tuple[str, dict[str, Any]]],
) -> int:
    """`publish` for many resources at once; `items` is only consumed (so payloads are
    only built) when some endpoint subscribes. Returns how many events were stored."""
    subscribers = [
        endpoint_id
        for endpoint_id, types in repository.enabled_endpoints(session, organization_id)
        if event_type in types
    ]
    if not subscribers:
        return 0
    items = list(items)
    # Each new delivery queues behind the last pending one about the same resource.
    last = repository.last_pending(session, subscribers, list({id for id, _ in items}))
    event_rows: list[dict[str, Any]] = []
    delivery_rows: list[dict[str, Any]] = []
    for resource_id, resource in items:
        event_id = new_id()
        event_rows.append(
            {
                "id": event_id,
                "organization_id": organization_id,
                "event_type": event_type,
                "resource_id": resource_id,
                "body": _body(event_type, now, resource),
                "created_at": now,
            }
        )
        for endpoint_id in subscribers:
            row = _delivery(event_id, endpoint_id, resource_id, now)
            row["after_id"] = last.get((endpoint_id, resource_id))
            last[(endpoint_id, resource_id)] = row["id"]
            delivery_rows.append(row)
    repository.insert_events(session, event_rows)
    repository.insert_deliveries(session, delivery_rows)
    return len(event_rows)


def _body(event_type: str, now: datetime, resource: dict[str, Any]) -> str:
    # The envelope the Standard Webhooks spec recommends: type, timestamp, data.
    envelope = {"type": event_type, "timestamp": isoformat(now), "data": resource}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)


def _delivery(
    event_id: uuid.UUID, endpoint_id: uuid.UUID, resource_id: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "resource_id": resource_id,
        "after_id": None,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "due_at": now,
        "lease_owner": None,
        "lease_until": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
        "completed_at": None,
    }
