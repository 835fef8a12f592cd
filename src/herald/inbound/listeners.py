"""Who wants to know when a message arrives from a person (a reply, a STOP).

Domains register a listener at import time of their service module; the inbound service
calls `notify` inside the transaction that stores the inbound message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from herald.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class InboundEvent:
    inbound_message_id: uuid.UUID
    organization_id: uuid.UUID
    from_number: str  # E.164 of the person who wrote
    to_number: str  # the sender ID / number they wrote to
    content: str
    received_at: datetime


Listener = Callable[[Session, Clock, InboundEvent], None]
_listeners: list[Listener] = []


def register(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def notify(session: Session, clock: Clock, event: InboundEvent) -> None:
    for listener in list(_listeners):
        listener(session, clock, event)
