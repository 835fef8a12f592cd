"""Reading campaigns and messages, always within one tenant."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from herald.errors import NotFound
from herald.messaging import repository
from herald.messaging.models import Campaign, DroppedRecipient, Message, MessageStatus
from herald.messaging.repository import MessageFilter
from herald.tenancy import repository as tenancy
from herald.tenancy.models import Remitter


@dataclass(frozen=True, slots=True)
class Tally:
    by_status: dict[str, int] = field(default_factory=dict)
    cost_micros: int = 0
    refunded_micros: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def campaign_not_found() -> NotFound:
    return NotFound("The requested campaign resource tracking profile could not be found.")


def dropped_recipients(
    session: Session,
    organization_id: uuid.UUID,
    campaign_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> list[DroppedRecipient]:
    """What expansion dropped from a campaign of this tenant, in submission order."""
    get_campaign(session, organization_id, campaign_id)  # 404 unless theirs
    return repository.list_dropped(session, campaign_id, after=after, limit=limit)


def message_not_found() -> NotFound:
    return NotFound("The requested message resource could not be found.")


def get_campaign(session: Session, organization_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign:
    campaign = repository.get_campaign(session, organization_id, campaign_id)
    if campaign is None:
        raise campaign_not_found()
    return campaign


def tally(session: Session, campaign_id: uuid.UUID) -> Tally:
    return tallies(session, [campaign_id])[campaign_id]


def tallies(session: Session, campaign_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Tally]:
    """The message tallies of each campaign (zeros for one without messages yet)."""
    ids = list(campaign_ids)
    counts: dict[uuid.UUID, Counter[str]] = {
        id: Counter({status.value: 0 for status in MessageStatus}) for id in ids
    }
    cost = dict.fromkeys(ids, 0)
    refunded = dict.fromkeys(ids, 0)
    for id, status, is_refunded, count, amount in repository.tallies(session, ids):
        counts[id][status] += count
        cost[id] += amount
        if is_refunded:
            refunded[id] += amount
    return {id: Tally(dict(counts[id]), cost[id], refunded[id]) for id in ids}


def list_campaigns(
    session: Session,
    organization_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[Campaign]:
    return repository.list_campaigns(
        session, organization_id, before=before, limit=limit, status=status
    )


def get_message(session: Session, organization_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = repository.get_message(session, organization_id, message_id)
    if message is None:
        raise message_not_found()
    return message


def list_messages(
    session: Session,
    organization_id: uuid.UUID,
    filters: MessageFilter,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> list[Message]:
    return repository.list_messages(session, organization_id, filters, before=before, limit=limit)


def remitters_of(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, Remitter]:
    return tenancy.get_remitters(session, {i for i in ids if i is not None})


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    at: datetime
    sent: int  # messages handed to a carrier in this interval
    delivered: int  # receipts saying DELIVERED that arrived in this interval


def timeline(session: Session, campaign_id: uuid.UUID, buckets: int = 30) -> list[TimelinePoint]:
    """Sends and deliveries of a campaign over time, in `buckets` equal intervals between its
    first send and its latest change."""
    rows = repository.send_times(session, campaign_id)
    if not rows:
        return []
    start = min(sent for sent, _, _ in rows)
    end = max(max(sent, updated) for sent, _, updated in rows)
    width = max((end - start) / buckets, timedelta(seconds=1))
    sent_counts, delivered_counts = [0] * buckets, [0] * buckets

    def slot(at: datetime) -> int:
        return min(int((at - start) / width), buckets - 1)

    for sent, status, updated in rows:
        sent_counts[slot(sent)] += 1
        if status == MessageStatus.DELIVERED:
            delivered_counts[slot(updated)] += 1
    return [
        TimelinePoint(start + width * i, sent_counts[i], delivered_counts[i])
        for i in range(buckets)
    ]
