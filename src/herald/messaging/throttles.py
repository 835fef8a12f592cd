"""Who wants to know when a carrier throttles us (asks to retry messages after a delay).

Dispatch calls `notify` in the transaction that gives the throttled messages back to the
queue; a domain that paces its own traffic (outreach campaigns) registers a listener.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from herald.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class Throttled:
    provider_name: str
    message_ids: tuple[uuid.UUID, ...]
    until: datetime  # the latest time the carrier asked us to wait until


Listener = Callable[[Session, Clock, Throttled], None]
_listeners: list[Listener] = []


def register(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def notify(session: Session, clock: Clock, event: Throttled) -> None:
    for listener in list(_listeners):
        listener(session, clock, event)
