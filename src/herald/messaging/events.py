"""Webhook events of the messaging domain: a campaign or a message changed status.

Called inside the transaction that made the change. The resource is sent as the API
shows it (messaging.shapes); when no endpoint listens, nothing is loaded or built.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from herald.messaging import queries, repository, shapes
from herald.messaging.models import Message, MessageStatus
from herald.webhooks import events
from herald.webhooks.events import CAMPAIGN_STATUS_CHANGED, MESSAGE_STATUS_CHANGED


def campaigns_changed(
    session: Session, now: datetime, campaign_ids: Iterable[uuid.UUID | None]
) -> None:
    ids = {id for id in campaign_ids if id is not None}
    if not ids or not events.anyone_listening(session):
        return
    found = repository.campaigns_by_ids(session, ids)
    remitters = queries.remitters_of(session, {c.remitter_id for c in found})
    tallies = queries.tallies(session, [c.id for c in found])
    for campaign in found:
        shape = shapes.campaign(campaign, tallies[campaign.id], remitters)
        events.publish_many(
            session, now, campaign.organization_id, CAMPAIGN_STATUS_CHANGED, [(shape["id"], shape)]
        )


def messages_changed(session: Session, now: datetime, message_ids: Iterable[uuid.UUID]) -> None:
    ids = set(message_ids)
    if not ids or not events.anyone_listening(session):
        return
    _publish(session, now, repository.messages_by_ids(session, ids))


def messages_sent(session: Session, now: datetime, sent: dict[str, uuid.UUID]) -> None:
    """Messages just marked SENT (provider reference -> message id). One whose lease was
    lost meanwhile may have been recorded by another worker: it is not announced twice."""
    if not sent or not events.anyone_listening(session):
        return
    found = repository.messages_by_ids(session, set(sent.values()))
    ours = [
        m
        for m in found
        if m.status == MessageStatus.SENT and sent.get(m.provider_message_id or "") == m.id
    ]
    _publish(session, now, ours)


def _publish(session: Session, now: datetime, messages: list[Message]) -> None:
    by_organization: dict[uuid.UUID, list[Message]] = defaultdict(list)
    for message in messages:
        by_organization[message.organization_id].append(message)
    remitters = queries.remitters_of(session, {m.remitter_id for m in messages})
    for organization_id, items in by_organization.items():
        events.publish_many(
            session,
            now,
            organization_id,
            MESSAGE_STATUS_CHANGED,
            ((str(m.id), shapes.message(m, remitters)) for m in items),
        )
