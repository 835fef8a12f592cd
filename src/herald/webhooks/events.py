"""Publishing events for webhook subscribers.

Call `publish` inside the transaction that makes the change, so that the event exists if
and only if the change does. (Stub: the webhooks work fills this in; the signature stays.)
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from herald.kit.clock import Clock


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
    return None
