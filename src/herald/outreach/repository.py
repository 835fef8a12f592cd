"""Every SQL statement of the outreach domain. The sequencer's paths use Core statements
on many rows at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
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

from herald.kit.db import is_postgres
from herald.messaging.models import Message
from herald.outreach.models import (
    AccountGroup,
    AccountGroupAccess,
    CampaignStatus,
    ConversationEntry,
    Direction,
    Enrollment,
    EnrollmentState,
    Lead,
    MailboxDay,
    OutreachCampaign,
    SenderDay,
)
from herald.queue.claim import any_claimable, claim

campaigns: Table = OutreachCampaign.__table__  # type: ignore[assignment]
enrollments: Table = Enrollment.__table__  # type: ignore[assignment]
leads: Table = Lead.__table__  # type: ignore[assignment]
entries: Table = ConversationEntry.__table__  # type: ignore[assignment]
sender_days: Table = SenderDay.__table__  # type: ignore[assignment]
mailbox_days: Table = MailboxDay.__table__  # type: ignore[assignment]
messages: Table = Message.__table__  # type: ignore[assignment]


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


# -- account groups --------------------------------------------------------------------------


def get_group(session: Session, group_id: uuid.UUID) -> AccountGroup | None:
    return session.get(AccountGroup, group_id)


def list_groups(session: Session, organization_id: uuid.UUID) -> list[AccountGroup]:
    stmt = select(AccountGroup).where(AccountGroup.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(AccountGroup.id)))


def groups_of_key(session: Session, key_id: uuid.UUID) -> list[AccountGroup]:
    stmt = (
        select(AccountGroup)
        .join(AccountGroupAccess, AccountGroupAccess.account_group_id == AccountGroup.id)
        .where(AccountGroupAccess.api_key_id == key_id)
        .order_by(AccountGroup.id)
    )
    return list(session.scalars(stmt))


def has_access(session: Session, key_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    return session.get(AccountGroupAccess, (key_id, group_id)) is not None


def keys_of_group(session: Session, group_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(AccountGroupAccess.api_key_id).where(
        AccountGroupAccess.account_group_id == group_id
    )
    return list(session.scalars(stmt.order_by(AccountGroupAccess.api_key_id)))


def remove_access(session: Session, key_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    stmt = delete(AccountGroupAccess).where(
        AccountGroupAccess.api_key_id == key_id, AccountGroupAccess.account_group_id == group_id
    )
    return session.execute(stmt).rowcount > 0  # type: ignore[attr-defined]


# -- leads -----------------------------------------------------------------------------------


def leads_by_phone(session: Session, group_id: uuid.UUID, phones: Sequence[str]) -> dict[str, Lead]:
    if not phones:
        return {}
    stmt = select(Lead).where(Lead.account_group_id == group_id, Lead.phone.in_(phones))
    return {lead.phone: lead for lead in session.scalars(stmt)}


def insert_leads(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(leads), list(rows))


def update_leads(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows keyed by `b_id`, with every column of `LEAD_UPDATE_COLUMNS`."""
    if not rows:
        return
    stmt = (
        update(leads)
        .where(leads.c.id == bindparam("b_id"))
        .values({column: bindparam(f"b_{column}") for column in LEAD_UPDATE_COLUMNS})
    )
    session.connection().execute(stmt, list(rows))


LEAD_UPDATE_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "language",
    "time_zone",
    "fields",
    "updated_at",
)


def get_lead(session: Session, group_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
    lead = session.get(Lead, lead_id)
    if lead is None or lead.account_group_id != group_id:
        return None
    return lead


def list_leads(
    session: Session, group_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
) -> list[Lead]:
    stmt = select(Lead).where(Lead.account_group_id == group_id)
    if before is not None:
        stmt = stmt.where(Lead.id < before)
    return list(session.scalars(stmt.order_by(Lead.id.desc()).limit(limit)))


def existing_lead_ids(
    session: Session, group_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ids:
        return set()
    stmt = select(leads.c.id).where(leads.c.account_group_id == group_id, leads.c.id.in_(ids))
    return set(session.scalars(stmt))


def leads_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Lead]:
    ids = list(ids)
    if not ids:
        return {}
    return {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}


def lead_ids_by_phone(session: Session, organization_id: uuid.UUID, phone: str) -> list[uuid.UUID]:
    stmt = select(leads.c.id).where(
        leads.c.organization_id == organization_id, leads.c.phone == phone
    )
    return list(session.scalars(stmt))


# -- campaigns -------------------------------------------------------------------------------


def get_campaign(
    session: Session, group_id: uuid.UUID, campaign_id: uuid.UUID, *, lock: bool = False
) -> OutreachCampaign | None:
    stmt = select(OutreachCampaign).where(OutreachCampaign.id == campaign_id)
    if lock:
        stmt = stmt.with_for_update()
    campaign = session.scalars(stmt).first()
    if campaign is None or campaign.account_group_id != group_id:
        return None
    return campaign


def list_campaigns(
    session: Session,
    group_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None,
) -> list[OutreachCampaign]:
    stmt = select(OutreachCampaign).where(OutreachCampaign.account_group_id == group_id)
    if before is not None:
        stmt = stmt.where(OutreachCampaign.id < before)
    if status is not None:
        stmt = stmt.where(OutreachCampaign.status == status)
    return list(session.scalars(stmt.order_by(OutreachCampaign.id.desc()).limit(limit)))


def campaigns_by_id(
    session: Session, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, OutreachCampaign]:
    ids = list(ids)
    if not ids:
        return {}
    stmt = select(OutreachCampaign).where(OutreachCampaign.id.in_(ids))
    return {c.id: c for c in session.scalars(stmt)}


def lock_campaigns(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OutreachCampaign]:
    """The campaigns, locked in id order (every writer locks campaigns before their
    enrollments, so that they never wait on each other in a circle)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    stmt = (
        select(OutreachCampaign)
        .where(OutreachCampaign.id.in_(ids))
        .order_by(OutreachCampaign.id)
        .with_for_update()
    )
    return {c.id: c for c in session.scalars(stmt)}


def selected_counts(session: Session, campaign_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = list(campaign_ids)
    if not ids:
        return {}
    stmt = (
        select(enrollments.c.campaign_id, func.count())
        .where(enrollments.c.campaign_id.in_(ids))
        .group_by(enrollments.c.campaign_id)
    )
    return {id: int(n) for id, n in session.execute(stmt).all()}


def pause_campaigns(
    session: Session, ids: Iterable[uuid.UUID], until: datetime | None, note: str, now: datetime
) -> None:
    """Pause active campaigns (a rate-limited pause sets `until`, and a later one wins)."""
    ids = list(ids)
    if not ids:
        return
    stmt = update(campaigns).where(
        campaigns.c.id.in_(ids), campaigns.c.status == CampaignStatus.ACTIVE
    )
    session.execute(
        stmt.values(
            status=CampaignStatus.PAUSED, rate_limited_until=until, status_note=note, updated_at=now
        )
    )
    if until is not None:  # already paused by a cap: keep the later of the two times
        extend = update(campaigns).where(
            campaigns.c.id.in_(ids),
            campaigns.c.status == CampaignStatus.PAUSED,
            campaigns.c.rate_limited_until < until,
        )
        session.execute(extend.values(rate_limited_until=until, status_note=note, updated_at=now))


def _cap_pause_over(now: datetime) -> list[ColumnElement[bool]]:
    return [
        campaigns.c.status == CampaignStatus.PAUSED,
        campaigns.c.rate_limited_until.is_not(None),
        campaigns.c.rate_limited_until <= now,
    ]


def resume_rate_limited(session: Session, now: datetime) -> list[uuid.UUID]:
    """Campaigns paused by a sending cap whose time has come go on by themselves."""
    stmt = (
        update(campaigns)
        .where(*_cap_pause_over(now))
        .values(
            status=CampaignStatus.ACTIVE, rate_limited_until=None, status_note=None, updated_at=now
        )
        .returning(campaigns.c.id)
    )
    return list(session.scalars(stmt))


def complete_campaigns(session: Session, ids: Iterable[uuid.UUID], now: datetime) -> None:
    """Active campaigns among `ids` where no lead has a step left are completed."""
    ids = list(ids)
    if not ids:
        return
    nothing_left = ~exists().where(
        enrollments.c.campaign_id == campaigns.c.id,
        enrollments.c.state == EnrollmentState.ACTIVE,
    )
    stmt = update(campaigns).where(
        campaigns.c.id.in_(ids), campaigns.c.status == CampaignStatus.ACTIVE, nothing_left
    )
    session.execute(stmt.values(status=CampaignStatus.COMPLETED, completed_at=now, updated_at=now))


# -- enrollments (the work queue) ------------------------------------------------------------


def enrolled_lead_ids(
    session: Session, campaign_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not lead_ids:
        return set()
    stmt = select(enrollments.c.lead_id).where(
        enrollments.c.campaign_id == campaign_id, enrollments.c.lead_id.in_(lead_ids)
    )
    return set(session.scalars(stmt))


def insert_enrollments(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(enrollments), list(rows))


def list_enrollments(
    session: Session, campaign_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.campaign_id == campaign_id)
    if before is not None:
        stmt = stmt.where(Enrollment.id < before)
    return list(session.scalars(stmt.order_by(Enrollment.id.desc()).limit(limit)))


def _due_enrollments(now: datetime) -> list[ColumnElement[bool]]:
    running = select(campaigns.c.id).where(campaigns.c.status == CampaignStatus.ACTIVE)
    return [
        enrollments.c.state == EnrollmentState.ACTIVE,
        enrollments.c.due_at <= now,
        enrollments.c.campaign_id.in_(running.scalar_subquery()),
    ]


def anything_due(session: Session, now: datetime) -> bool:
    """A read-only look before the sequencer takes the write lock: a cap pause to end, or
    a lead step due."""
    if session.execute(select(campaigns.c.id).where(*_cap_pause_over(now)).limit(1)).first():
        return True
    return any_claimable(session, enrollments, _due_enrollments(now), now)


def claim_enrollments(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Row[Any]]:
    """Due steps of leads whose campaign is running."""
    return claim(
        session,
        enrollments,
        where=_due_enrollments(now),
        order_by=[enrollments.c.due_at, enrollments.c.id],
        limit=limit,
        owner=owner,
        now=now,
        lease=lease,
    )


def lock_held_enrollments(
    session: Session, ids: Sequence[uuid.UUID], owner: str
) -> dict[uuid.UUID, Enrollment]:
    """Those of `ids` still ours and still running (a reply or a cancel may have stopped
    them since they were claimed)."""
    if not ids:
        return {}
    stmt = (
        select(Enrollment)
        .where(
            Enrollment.id.in_(ids),
            Enrollment.lease_owner == owner,
            Enrollment.state == EnrollmentState.ACTIVE,
        )
        .order_by(Enrollment.id)
        .with_for_update()
    )
    return {e.id: e for e in session.scalars(stmt)}


def record_progress(session: Session, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Rows of (b_id, b_state, b_step, b_due, b_error); the lease is given back."""
    if not rows:
        return
    stmt = (
        update(enrollments)
        .where(enrollments.c.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            step_index=bindparam("b_step"),
            due_at=bindparam("b_due"),
            error_code=bindparam("b_error"),
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
    )
    session.connection().execute(stmt, list(rows))


def release(session: Session, ids: Sequence[uuid.UUID]) -> None:
    """Give claimed enrollments back untouched (their campaign stopped, or a cap hit)."""
    if ids:
        stmt = update(enrollments).where(enrollments.c.id.in_(ids))
        session.execute(stmt.values(lease_owner=None, lease_until=None))


def stop_enrollments(
    session: Session,
    *,
    state: str,
    now: datetime,
    campaign_id: uuid.UUID | None = None,
    lead_ids: Sequence[uuid.UUID] = (),
    campaign_ids: Sequence[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """End the running enrollments of a campaign, or of some leads in some campaigns."""
    stmt = update(enrollments).where(enrollments.c.state == EnrollmentState.ACTIVE)
    if campaign_id is not None:
        stmt = stmt.where(enrollments.c.campaign_id == campaign_id)
    else:
        stmt = stmt.where(
            enrollments.c.lead_id.in_(lead_ids), enrollments.c.campaign_id.in_(campaign_ids)
        )
    stmt = stmt.values(
        state=state, due_at=None, lease_owner=None, lease_until=None, updated_at=now
    ).returning(enrollments.c.id)
    return list(session.scalars(stmt))


def campaigns_of_leads(
    session: Session, lead_ids: Sequence[uuid.UUID], auto_cancel_only: bool
) -> list[uuid.UUID]:
    if not lead_ids:
        return []
    stmt = (
        select(enrollments.c.campaign_id)
        .join(campaigns, campaigns.c.id == enrollments.c.campaign_id)
        .where(enrollments.c.lead_id.in_(lead_ids))
        .distinct()
    )
    if auto_cancel_only:
        stmt = stmt.where(campaigns.c.auto_cancel_on_message_received.is_(True))
    return list(session.scalars(stmt))


# -- the conversation ------------------------------------------------------------------------


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(entries), list(rows))


def conversation(
    session: Session, lead_id: uuid.UUID, *, limit: int, newest_first: bool = False
) -> list[ConversationEntry]:
    order = entries.c.id.desc() if newest_first else entries.c.id
    stmt = select(ConversationEntry).where(ConversationEntry.lead_id == lead_id)
    return list(session.scalars(stmt.order_by(order).limit(limit)))


def has_inbound(session: Session, inbound_message_id: uuid.UUID) -> bool:
    stmt = select(entries.c.id).where(entries.c.inbound_message_id == inbound_message_id)
    return session.scalars(stmt.limit(1)).first() is not None


def outbound_message_ids(
    session: Session,
    *,
    campaign_id: uuid.UUID | None = None,
    lead_ids: Sequence[uuid.UUID] = (),
    campaign_ids: Sequence[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """The messages sent by a campaign's steps, or by some campaigns to some leads."""
    stmt = select(entries.c.message_id).where(
        entries.c.direction == Direction.OUTBOUND, entries.c.message_id.is_not(None)
    )
    if campaign_id is not None:
        stmt = stmt.where(entries.c.campaign_id == campaign_id)
    else:
        stmt = stmt.where(entries.c.lead_id.in_(lead_ids), entries.c.campaign_id.in_(campaign_ids))
    return [id for id in session.scalars(stmt) if id is not None]


def campaigns_of_messages(session: Session, message_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    if not message_ids:
        return []
    stmt = (
        select(entries.c.campaign_id)
        .where(entries.c.message_id.in_(message_ids), entries.c.campaign_id.is_not(None))
        .distinct()
    )
    return [id for id in session.scalars(stmt) if id is not None]


# -- the daily cap per sender ----------------------------------------------------------------


def lock_sender_day(session: Session, remitter_id: uuid.UUID, day: date) -> int:
    """How many messages the sender sent on `day`; the row stays locked until commit, so
    that two workers cannot both take the last places under the cap."""
    dialect = postgresql if is_postgres(session) else sqlite
    first = dialect.insert(sender_days).values(remitter_id=remitter_id, day=day, sent=0)
    session.execute(first.on_conflict_do_nothing())
    stmt = (
        select(sender_days.c.sent)
        .where(sender_days.c.remitter_id == remitter_id, sender_days.c.day == day)
        .with_for_update()
    )
    return int(session.scalars(stmt).one())


def set_sender_day(session: Session, remitter_id: uuid.UUID, day: date, sent: int) -> None:
    stmt = update(sender_days).where(
        sender_days.c.remitter_id == remitter_id, sender_days.c.day == day
    )
    session.execute(stmt.values(sent=sent))


def enrollment_funnel(session: Session, campaign_id: uuid.UUID) -> list[tuple[int, str, int]]:
    """(step_index, state, count) of a campaign's enrollments: where each lead stands."""
    stmt = (
        select(Enrollment.step_index, Enrollment.state, func.count())
        .where(Enrollment.campaign_id == campaign_id)
        .group_by(Enrollment.step_index, Enrollment.state)
    )
    return [(int(step), str(state), int(count)) for step, state, count in session.execute(stmt)]


# -- email -----------------------------------------------------------------------------------


def lock_mailbox_day(session: Session, connection_name: str, day: date) -> int:
    """How many outreach emails the mailbox sent on `day`; locked until commit."""
    dialect = postgresql if is_postgres(session) else sqlite
    first = dialect.insert(mailbox_days).values(connection_name=connection_name, day=day, sent=0)
    session.execute(first.on_conflict_do_nothing())
    stmt = (
        select(mailbox_days.c.sent)
        .where(mailbox_days.c.connection_name == connection_name, mailbox_days.c.day == day)
        .with_for_update()
    )
    return int(session.scalars(stmt).one())


def set_mailbox_day(session: Session, connection_name: str, day: date, sent: int) -> None:
    stmt = update(mailbox_days).where(
        mailbox_days.c.connection_name == connection_name, mailbox_days.c.day == day
    )
    session.execute(stmt.values(sent=sent))


def email_threads(
    session: Session, enrollment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The payload of the latest email each enrollment sent (the thread a follow-up joins)."""
    if not enrollment_ids:
        return {}
    stmt = (
        select(entries.c.enrollment_id, messages.c.payload)
        .join(messages, messages.c.id == entries.c.message_id)
        .where(
            entries.c.enrollment_id.in_(enrollment_ids),
            messages.c.channel_type == "EMAIL",
        )
        .order_by(entries.c.step_index)
    )
    return {row.enrollment_id: dict(row.payload or {}) for row in session.execute(stmt)}


def email_by_reference(
    session: Session, provider_name: str, references: Sequence[str]
) -> Row[Any] | None:
    """Our email (id, organization, lead, address) that one of these Message-IDs names."""
    if not references:
        return None
    stmt = (
        select(
            messages.c.id,
            messages.c.organization_id,
            messages.c.contact_id.label("lead_id"),
            messages.c.address,
            messages.c.payload,
        )
        .where(
            messages.c.provider_name == provider_name,
            messages.c.provider_message_id.in_(list(references)),
            messages.c.channel_type == "EMAIL",
        )
        .order_by(messages.c.id.desc())
    )
    return session.execute(stmt.limit(1)).first()  # type: ignore[return-value]


def email_by_id(session: Session, message_id: uuid.UUID) -> Row[Any] | None:
    stmt = select(
        messages.c.id,
        messages.c.organization_id,
        messages.c.contact_id.label("lead_id"),
        messages.c.address,
        messages.c.payload,
    ).where(messages.c.id == message_id, messages.c.channel_type == "EMAIL")
    return session.execute(stmt).first()  # type: ignore[return-value]


def leads_with_email(session: Session, organization_id: uuid.UUID, address: str) -> list[uuid.UUID]:
    stmt = select(leads.c.id).where(
        leads.c.organization_id == organization_id, func.lower(leads.c.email) == address.lower()
    )
    return list(session.scalars(stmt))
