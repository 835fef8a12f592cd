"""Every SQL statement of the messaging domain. Bulk paths use Core statements."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from herald.kit.db import is_postgres, lock_until_commit
from herald.messaging.models import (
    REFUNDABLE_STATUSES,
    Campaign,
    CampaignStatus,
    DroppedRecipient,
    EarlyReceipt,
    Message,
    MessagePart,
    MessageStatus,
)
from herald.queue.claim import any_claimable, claim, lease_is_free
from herald.queue.stats import Backlog, backlog

campaigns: Table = Campaign.__table__  # type: ignore[assignment]
messages: Table = Message.__table__  # type: ignore[assignment]
dropped_recipients: Table = DroppedRecipient.__table__  # type: ignore[assignment]
parts: Table = MessagePart.__table__  # type: ignore[assignment]
early_receipts: Table = EarlyReceipt.__table__  # type: ignore[assignment]

OPEN_MESSAGE_STATUSES = (MessageStatus.PENDING, MessageStatus.SENT)
EXPANDABLE = (CampaignStatus.PROCESSING, CampaignStatus.SCHEDULED)


@dataclass(frozen=True, slots=True)
class Settled:
    """A message that has just reached a final state."""

    id: uuid.UUID
    billing_account_id: uuid.UUID
    campaign_id: uuid.UUID | None
    cost_micros: int
    status: str


@dataclass(frozen=True, slots=True)
class MessageFilter:
    campaign_id: uuid.UUID | None = None
    status: str | None = None
    e164_format: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


# -- campaigns -------------------------------------------------------------------------------


def add_campaign(session: Session, campaign: Campaign) -> None:
    session.add(campaign)
    session.flush()


def get_campaign(session: Session, organization_id: uuid.UUID, id: uuid.UUID) -> Campaign | None:
    campaign = session.get(Campaign, id)
    if campaign is None or campaign.organization_id != organization_id:
        return None
    return campaign


def lock_campaign(session: Session, id: uuid.UUID) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.id == id).with_for_update()
    return session.scalars(stmt).first()


def list_campaigns(
    session: Session,
    organization_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[Campaign]:
    stmt = select(Campaign).where(Campaign.organization_id == organization_id)
    if before is not None:
        stmt = stmt.where(Campaign.id < before)
    if status is not None:
        stmt = stmt.where(Campaign.status == status)
    return list(session.scalars(stmt.order_by(Campaign.id.desc()).limit(limit)))


def _expandable(now: datetime) -> list[ColumnElement[bool]]:
    return [campaigns.c.status.in_(EXPANDABLE), campaigns.c.due_at <= now]


def any_campaign_to_expand(session: Session, now: datetime) -> bool:
    return any_claimable(session, campaigns, _expandable(now), now)


def claim_campaigns(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Row[Any]]:
    return claim(
        session,
        campaigns,
        where=_expandable(now),
        order_by=[campaigns.c.due_at, campaigns.c.id],
        limit=limit,
        owner=owner,
        now=now,
        lease=lease,
    )


def tallies(
    session: Session, campaign_ids: Iterable[uuid.UUID]
) -> list[tuple[uuid.UUID, str, bool, int, int]]:
    """(campaign id, status, is_refunded, count, cost) for the messages of the campaigns,
    in one grouped query however many campaigns a page shows."""
    ids = list(campaign_ids)
    if not ids:
        return []
    stmt = (
        select(
            messages.c.campaign_id,
            messages.c.status,
            messages.c.is_refunded,
            func.count(),
            func.coalesce(func.sum(messages.c.cost_micros), 0),
        )
        .where(messages.c.campaign_id.in_(ids))
        .group_by(messages.c.campaign_id, messages.c.status, messages.c.is_refunded)
    )
    rows = session.execute(stmt).all()
    return [(id, s, bool(r), int(n), int(c)) for id, s, r, n, c in rows]


def complete_campaigns(
    session: Session, ids: Iterable[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Mark COMPLETED every SENDING campaign among `ids` with no message left to hand over."""
    ids = sorted(set(ids))
    if not ids:
        return []
    # Lock the campaigns first (in a fixed order): a concurrent worker that handed over the
    # other last messages then waits for us, and its check below sees our committed rows.
    session.execute(select(campaigns.c.id).where(campaigns.c.id.in_(ids)).with_for_update())
    nothing_pending = ~exists().where(
        messages.c.campaign_id == campaigns.c.id, messages.c.status == MessageStatus.PENDING
    )
    stmt = (
        update(campaigns)
        .where(
            campaigns.c.id.in_(ids),
            campaigns.c.status == CampaignStatus.SENDING,
            nothing_pending,
        )
        .values(status=CampaignStatus.COMPLETED, completed_at=now, updated_at=now)
        .returning(campaigns.c.id)
    )
    return list(session.scalars(stmt))


# -- messages --------------------------------------------------------------------------------


def insert_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(messages), list(rows))


def insert_dropped(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(dropped_recipients), list(rows))


def list_dropped(
    session: Session, campaign_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[DroppedRecipient]:
    """In the order they were submitted."""
    stmt = select(DroppedRecipient).where(DroppedRecipient.campaign_id == campaign_id)
    if after is not None:
        stmt = stmt.where(DroppedRecipient.id > after)
    return list(session.scalars(stmt.order_by(DroppedRecipient.id).limit(limit)))


def get_message(session: Session, organization_id: uuid.UUID, id: uuid.UUID) -> Message | None:
    message = session.get(Message, id)
    if message is None or message.organization_id != organization_id:
        return None
    return message


def list_messages(
    session: Session,
    organization_id: uuid.UUID,
    filters: MessageFilter,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> list[Message]:
    stmt = select(Message).where(Message.organization_id == organization_id)
    if before is not None:
        stmt = stmt.where(Message.id < before)
    if filters.campaign_id is not None:
        stmt = stmt.where(Message.campaign_id == filters.campaign_id)
    if filters.status is not None:
        stmt = stmt.where(Message.status == filters.status)
    if filters.e164_format is not None:
        stmt = stmt.where(Message.e164_format == filters.e164_format)
    if filters.created_from is not None:
        stmt = stmt.where(Message.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(Message.created_at < filters.created_to)
    return list(session.scalars(stmt.order_by(Message.id.desc()).limit(limit)))


def _due_messages(now: datetime) -> list[ColumnElement[bool]]:
    return [messages.c.status == MessageStatus.PENDING, messages.c.due_at <= now]


def any_message_due(session: Session, now: datetime) -> bool:
    return any_claimable(session, messages, _due_messages(now), now)


def claim_messages(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Row[Any]]:
    return claim(
        session,
        messages,
        where=_due_messages(now),
        order_by=[messages.c.priority.desc(), messages.c.due_at, messages.c.id],
        limit=limit,
        owner=owner,
        now=now,
        lease=lease,
        values={"attempts": messages.c.attempts + 1},
    )


def mark_sent(
    session: Session, sent: Sequence[tuple[uuid.UUID, str, str]], owner: str, now: datetime
) -> None:
    """Record (message id, provider, provider message id) for messages we still hold."""
    if not sent:
        return
    stmt = (
        update(messages)
        .where(
            messages.c.id == bindparam("b_id"),
            messages.c.status == MessageStatus.PENDING,
            messages.c.lease_owner == owner,
        )
        .values(
            status=MessageStatus.SENT,
            provider_name=bindparam("b_provider"),
            provider_message_id=bindparam("b_ref"),
            sent_at=now,
            updated_at=now,
            lease_owner=None,
            lease_until=None,
        )
    )
    params = [{"b_id": id, "b_provider": p, "b_ref": ref} for id, p, ref in sent]
    session.connection().execute(stmt, params)


def postpone(session: Session, ids: Sequence[uuid.UUID], due_at: datetime, owner: str) -> None:
    """Give held messages back to the queue, due again at `due_at`."""
    if not ids:
        return
    stmt = (
        update(messages)
        .where(messages.c.id.in_(ids), messages.c.lease_owner == owner)
        .values(due_at=due_at, lease_owner=None, lease_until=None)
    )
    session.execute(stmt)


def settle(
    session: Session,
    ids: Sequence[uuid.UUID],
    status: str,
    error_code: str | None,
    now: datetime,
    *,
    only_unleased: bool = False,
    only_pending: bool = False,
) -> list[Settled]:
    """Move open messages among `ids` to the final `status`; return those that moved.
    A message already final is left alone: states only move forward. `only_pending` leaves
    alone what was handed to a carrier (SENT)."""
    if not ids:
        return []
    open_statuses = (MessageStatus.PENDING,) if only_pending else OPEN_MESSAGE_STATUSES
    conditions: list[ColumnElement[bool]] = [
        messages.c.id.in_(ids),
        messages.c.status.in_(open_statuses),
    ]
    if only_unleased:
        conditions.append(lease_is_free(messages, now))
    stmt = (
        update(messages)
        .where(*conditions)
        .values(
            status=status,
            error_code=error_code,
            is_refunded=status in REFUNDABLE_STATUSES,
            updated_at=now,
            lease_owner=None,
            lease_until=None,
        )
        .returning(
            messages.c.id,
            messages.c.billing_account_id,
            messages.c.campaign_id,
            messages.c.cost_micros,
            messages.c.status,
        )
    )
    return [Settled(*row) for row in session.execute(stmt).all()]


def pending_ids_of_campaign(
    session: Session, campaign_id: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    """PENDING messages of a campaign that no worker is handing over right now."""
    stmt = select(messages.c.id).where(
        messages.c.campaign_id == campaign_id,
        messages.c.status == MessageStatus.PENDING,
        lease_is_free(messages, now),
    )
    return list(session.scalars(stmt))


def set_campaign_messages_due(
    session: Session, campaign_id: uuid.UUID, due_at: datetime | None
) -> None:
    """Hold (None) or release the PENDING messages of a campaign."""
    stmt = (
        update(messages)
        .where(messages.c.campaign_id == campaign_id, messages.c.status == MessageStatus.PENDING)
        .values(due_at=due_at)
    )
    session.execute(stmt)


def campaign_statuses(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(ids)
    if not ids:
        return {}
    stmt = select(campaigns.c.id, campaigns.c.status).where(campaigns.c.id.in_(ids))
    return {id: status for id, status in session.execute(stmt).all()}


# -- the book: parts and the receipts that came before them --------------------------------


def serialize_receipts(session: Session, provider_name: str) -> None:
    """Take, until the transaction ends, the lock that orders applying receipts with recording
    parts of one provider (PostgreSQL; SQLite has one writer anyway): without it a receipt
    and the record of its part could commit side by side, each unseen by the other. Take it
    first in the transaction, before touching any message row, so that the two never
    deadlock."""
    lock_until_commit(session, "receipts:" + provider_name)


def upsert_parts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update parts by (message_id, part_number); `resends` adds up."""
    if not rows:
        return
    dialect = postgresql if is_postgres(session) else sqlite
    stmt = dialect.insert(parts)
    stmt = stmt.on_conflict_do_update(
        index_elements=[parts.c.message_id, parts.c.part_number],
        set_={
            "parts_total": stmt.excluded.parts_total,
            "provider_name": stmt.excluded.provider_name,
            "provider_message_id": stmt.excluded.provider_message_id,
            "resends": parts.c.resends + stmt.excluded.resends,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    session.execute(stmt, list(rows))


def parts_by_refs(session: Session, provider_name: str, refs: Iterable[str]) -> list[Any]:
    """(message_id, part_number, parts_total, provider_message_id, status) of the parts known
    under these carrier ids."""
    wanted = list(set(refs))
    if not wanted:
        return []
    stmt = select(
        parts.c.message_id,
        parts.c.part_number,
        parts.c.parts_total,
        parts.c.provider_message_id,
        parts.c.status,
    ).where(parts.c.provider_name == provider_name, parts.c.provider_message_id.in_(wanted))
    return list(session.execute(stmt).all())


def parts_of(session: Session, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The recorded parts of each message, in part order."""
    ids = list(message_ids)
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    if not ids:
        return found
    stmt = select(parts).where(parts.c.message_id.in_(ids)).order_by(parts.c.part_number)
    for row in session.execute(stmt):
        found[row.message_id].append(row)
    return found


def set_part_statuses(
    session: Session, updates: Sequence[tuple[uuid.UUID, int, str, str | None]], now: datetime
) -> None:
    """(message id, part number, status, error code): the first receipt of a part stands."""
    if not updates:
        return
    stmt = (
        update(parts)
        .where(
            parts.c.message_id == bindparam("b_message"),
            parts.c.part_number == bindparam("b_part"),
            parts.c.status.is_(None),
        )
        .values(status=bindparam("b_status"), error_code=bindparam("b_error"), updated_at=now)
    )
    params = [{"b_message": m, "b_part": p, "b_status": s, "b_error": e} for m, p, s, e in updates]
    session.connection().execute(stmt, params)


def add_early_receipts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(early_receipts), list(rows))


def any_early_receipts(session: Session, provider_name: str) -> bool:
    stmt = select(early_receipts.c.id).where(early_receipts.c.provider_name == provider_name)
    return session.execute(stmt.limit(1)).first() is not None


def take_early_receipts(session: Session, provider_name: str, refs: Sequence[str]) -> list[Any]:
    """Remove and return (provider_message_id, status, error_code) of the early receipts
    known under these carrier ids, one per receipt (with every spelling of it removed)."""
    if not refs:
        return []
    table = early_receipts
    found = session.execute(
        select(
            table.c.receipt_id, table.c.provider_message_id, table.c.status, table.c.error_code
        ).where(table.c.provider_name == provider_name, table.c.provider_message_id.in_(refs))
    ).all()
    taken = _drop_early_receipts(session, {row.receipt_id for row in found})
    by_receipt = {row.receipt_id: row for row in found if row.receipt_id in taken}
    return list(by_receipt.values())


def _drop_early_receipts(session: Session, receipt_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Remove these receipts; those removed here (not by another worker meanwhile)."""
    if not receipt_ids:
        return set()
    table = early_receipts
    stmt = delete(table).where(table.c.receipt_id.in_(receipt_ids)).returning(table.c.receipt_id)
    return set(session.scalars(stmt))


def _stranded() -> Any:
    table = early_receipts
    return select(
        table.c.receipt_id,
        parts.c.message_id,
        parts.c.part_number,
        table.c.status,
        table.c.error_code,
    ).join(
        parts,
        and_(
            parts.c.provider_name == table.c.provider_name,
            parts.c.provider_message_id == table.c.provider_message_id,
        ),
    )


def any_stranded_receipts(session: Session) -> bool:
    return session.execute(_stranded().limit(1)).first() is not None


def take_stranded_receipts(
    session: Session, limit: int = 500
) -> list[tuple[uuid.UUID, int, str, str | None]]:
    """(message id, part number, status, error code) of early receipts whose part is known
    after all, removed as they are taken (a row another worker took meanwhile is skipped)."""
    found = session.execute(_stranded().limit(limit)).all()
    taken = _drop_early_receipts(session, {row.receipt_id for row in found})
    kept = {row.receipt_id: row for row in found if row.receipt_id in taken}
    return [(r.message_id, r.part_number, r.status, r.error_code) for r in kept.values()]


def any_early_receipts_before(session: Session, before: datetime) -> bool:
    stmt = select(early_receipts.c.id).where(early_receipts.c.received_at < before)
    return session.execute(stmt.limit(1)).first() is not None


def purge_early_receipts(session: Session, before: datetime) -> int:
    """Drop the receipts received before `before` (their part never showed up)."""
    stmt = delete(early_receipts).where(early_receipts.c.received_at < before)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def count_by_status(session: Session) -> dict[str, int]:
    stmt = select(messages.c.status, func.count()).group_by(messages.c.status)
    return {status: int(n) for status, n in session.execute(stmt).all()}


def campaigns_by_ids(session: Session, ids: Iterable[uuid.UUID]) -> list[Campaign]:
    """Fresh from the database, even if the session holds older copies (bulk updates
    bypass the ORM's identity map)."""
    stmt = select(Campaign).where(Campaign.id.in_(list(ids))).order_by(Campaign.id)
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def messages_by_ids(session: Session, ids: Iterable[uuid.UUID]) -> list[Message]:
    stmt = select(Message).where(Message.id.in_(list(ids))).order_by(Message.id)
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def count_campaigns_by_status(session: Session) -> dict[str, int]:
    stmt = select(campaigns.c.status, func.count()).group_by(campaigns.c.status)
    return {status: int(n) for status, n in session.execute(stmt).all()}


def expand_backlog(session: Session, now: datetime) -> Backlog:
    return backlog(session, campaigns, [campaigns.c.status.in_(EXPANDABLE)], now)


def dispatch_backlog(session: Session, now: datetime) -> Backlog:
    return backlog(session, messages, [messages.c.status == MessageStatus.PENDING], now)


# A chart needs the shape, not every row: beyond this many sent messages it shows the first.
TIMELINE_ROWS = 50_000


def send_times(session: Session, campaign_id: uuid.UUID) -> list[tuple[datetime, str, datetime]]:
    """(sent_at, status, updated_at) of a campaign's sent messages, for its timeline: a
    DELIVERED message's `updated_at` is when its receipt arrived."""
    stmt = (
        select(Message.sent_at, Message.status, Message.updated_at)
        .where(Message.campaign_id == campaign_id, Message.sent_at.is_not(None))
        .limit(TIMELINE_ROWS)
    )
    return [(sent, status, updated) for sent, status, updated in session.execute(stmt) if sent]


def mark_read(session: Session, provider_name: str, ref: str, at: datetime) -> bool:
    """The person read this message (by carrier id): the first read time stays. False if
    no message has that carrier id (yet)."""
    known = session.scalar(
        select(messages.c.id).where(
            messages.c.provider_name == provider_name, messages.c.provider_message_id == ref
        )
    )
    if known is None:
        return False
    session.execute(
        update(messages)
        .where(messages.c.id == known, messages.c.read_at.is_(None))
        .values(read_at=at)
    )
    return True
