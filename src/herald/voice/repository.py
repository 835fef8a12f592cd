"""Every SQL statement of the voice domain. Bulk paths (leads, calls, events) use Core."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from herald.voice.models import (
    DIALABLE,
    IN_FLIGHT,
    OPEN_LEAD_STATUSES,
    Agent,
    Call,
    CallCampaign,
    CampaignStatus,
    Lead,
    LeadStatus,
    PhoneNumber,
    Trunk,
)

campaigns: Table = CallCampaign.__table__  # type: ignore[assignment]
leads: Table = Lead.__table__  # type: ignore[assignment]
calls: Table = Call.__table__  # type: ignore[assignment]
agents: Table = Agent.__table__  # type: ignore[assignment]


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


# -- agents and numbers ----------------------------------------------------------------------


def get_agent(session: Session, organization_id: uuid.UUID, id: uuid.UUID) -> Agent | None:
    agent = session.get(Agent, id)
    return agent if agent is not None and agent.organization_id == organization_id else None


def get_agents(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Agent]:
    ids = set(ids)
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(ids)))}


def list_agents(
    session: Session, organization_id: uuid.UUID, before: uuid.UUID | None, limit: int
) -> list[Agent]:
    stmt = select(Agent).where(Agent.organization_id == organization_id)
    if before is not None:
        stmt = stmt.where(Agent.id < before)
    return list(session.scalars(stmt.order_by(Agent.id.desc()).limit(limit)))


def get_number(session: Session, organization_id: uuid.UUID, id: uuid.UUID) -> PhoneNumber | None:
    number = session.get(PhoneNumber, id)
    return number if number is not None and number.organization_id == organization_id else None


def find_number(session: Session, organization_id: uuid.UUID, e164: str) -> PhoneNumber | None:
    stmt = select(PhoneNumber).where(
        PhoneNumber.organization_id == organization_id, PhoneNumber.e164 == e164
    )
    return session.scalars(stmt).first()


def list_numbers(session: Session, organization_id: uuid.UUID) -> list[PhoneNumber]:
    stmt = select(PhoneNumber).where(PhoneNumber.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(PhoneNumber.id)))


# -- campaigns -------------------------------------------------------------------------------


def get_campaign(
    session: Session, organization_id: uuid.UUID, id: uuid.UUID
) -> CallCampaign | None:
    campaign = session.get(CallCampaign, id)
    if campaign is None or campaign.organization_id != organization_id:
        return None
    return campaign


def lock_campaign(session: Session, id: uuid.UUID) -> CallCampaign | None:
    """The campaign row, locked until the transaction ends: whoever holds it is the only
    one deciding how many calls of this campaign are in flight."""
    stmt = (
        select(CallCampaign)
        .where(CallCampaign.id == id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def list_campaigns(
    session: Session,
    organization_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None,
) -> list[CallCampaign]:
    stmt = select(CallCampaign).where(CallCampaign.organization_id == organization_id)
    if before is not None:
        stmt = stmt.where(CallCampaign.id < before)
    if status is not None:
        stmt = stmt.where(CallCampaign.status == status)
    return list(session.scalars(stmt.order_by(CallCampaign.id.desc()).limit(limit)))


def dialable_campaigns(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    """Launched campaigns past their start time that have a lead due for a call."""
    due_lead = exists().where(
        leads.c.campaign_id == campaigns.c.id,
        leads.c.status == LeadStatus.QUEUED,
        leads.c.due_at <= now,
    )
    stmt = (
        select(campaigns.c.id)
        .where(
            campaigns.c.status.in_(DIALABLE),
            or_(campaigns.c.start_at.is_(None), campaigns.c.start_at <= now),
            due_lead,
        )
        .order_by(campaigns.c.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def complete_campaigns(
    session: Session, ids: Iterable[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Mark completed every running campaign among `ids` that has no open lead left."""
    ids = list(ids)
    if not ids:
        return []
    nothing_open = ~exists().where(
        leads.c.campaign_id == campaigns.c.id, leads.c.status.in_(OPEN_LEAD_STATUSES)
    )
    stmt = (
        update(campaigns)
        .where(campaigns.c.id.in_(ids), campaigns.c.status == CampaignStatus.RUNNING, nothing_open)
        .values(status=CampaignStatus.COMPLETED, completed_at=now, updated_at=now)
        .returning(campaigns.c.id)
    )
    return list(session.scalars(stmt))


def retry_rules(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Per campaign: status, max_retries, retry_interval_minutes and the agent's voicemail."""
    ids = set(ids)
    if not ids:
        return {}
    stmt = (
        select(
            campaigns.c.id,
            campaigns.c.organization_id,
            campaigns.c.status,
            campaigns.c.max_retries,
            campaigns.c.retry_interval_minutes,
            agents.c.voicemail,
        )
        .join(agents, agents.c.id == campaigns.c.agent_id)
        .where(campaigns.c.id.in_(ids))
    )
    return {row.id: row for row in session.execute(stmt).all()}


# -- leads -----------------------------------------------------------------------------------


def insert_leads(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(leads), list(rows[start : start + 5000]))


def lead_numbers(session: Session, campaign_id: uuid.UUID) -> set[str]:
    return set(session.scalars(select(leads.c.e164).where(leads.c.campaign_id == campaign_id)))


def lead_counts(
    session: Session, campaign_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    ids = list(campaign_ids)
    if not ids:
        return {}
    stmt = (
        select(leads.c.campaign_id, leads.c.status, func.count())
        .where(leads.c.campaign_id.in_(ids))
        .group_by(leads.c.campaign_id, leads.c.status)
    )
    counts: dict[uuid.UUID, dict[str, int]] = {id: {} for id in ids}
    for campaign_id, status, n in session.execute(stmt).all():
        counts[campaign_id][status] = int(n)
    return counts


def waiting_leads_by_zone(
    session: Session, campaign_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, datetime | None]]]:
    """Per campaign: (zones, earliest due time) of its queued leads, one per zone group."""
    ids = list(campaign_ids)
    found: dict[uuid.UUID, list[tuple[str, datetime | None]]] = {id: [] for id in ids}
    if not ids:
        return found
    stmt = (
        select(leads.c.campaign_id, leads.c.timezone, func.min(leads.c.due_at))
        .where(leads.c.campaign_id.in_(ids), leads.c.status == LeadStatus.QUEUED)
        .group_by(leads.c.campaign_id, leads.c.timezone)
    )
    for campaign_id, zones, due in session.execute(stmt).all():
        found[campaign_id].append((zones, due))
    return found


def due_leads(
    session: Session, campaign_id: uuid.UUID, now: datetime, limit: int
) -> list[Row[Any]]:
    stmt = (
        select(leads)
        .where(
            leads.c.campaign_id == campaign_id,
            leads.c.status == LeadStatus.QUEUED,
            leads.c.due_at <= now,
        )
        .order_by(leads.c.due_at, leads.c.id)
        .limit(limit)
    )
    return list(session.execute(stmt).all())


def postpone_leads(session: Session, due: Sequence[tuple[uuid.UUID, datetime]]) -> None:
    """Give queued leads a later due time: (lead id, due at)."""
    if not due:
        return
    stmt = update(leads).where(leads.c.id == bindparam("b_id")).values(due_at=bindparam("b_due"))
    session.connection().execute(stmt, [{"b_id": id, "b_due": at} for id, at in due])


def start_calling(session: Session, ids: Sequence[uuid.UUID], now: datetime) -> None:
    stmt = (
        update(leads)
        .where(leads.c.id.in_(ids), leads.c.status == LeadStatus.QUEUED)
        .values(
            status=LeadStatus.CALLING, attempts=leads.c.attempts + 1, due_at=None, updated_at=now
        )
    )
    for start in range(0, len(ids), 1000):
        session.execute(stmt.where(leads.c.id.in_(ids[start : start + 1000])))


def set_leads(session: Session, changes: Sequence[dict[str, Any]], now: datetime) -> None:
    """Apply {"b_id", "status", "due_at", "outcome", "attempts_back"} to leads on a call."""
    if not changes:
        return
    stmt = (
        update(leads)
        .where(leads.c.id == bindparam("b_id"), leads.c.status == LeadStatus.CALLING)
        .values(
            status=bindparam("b_status"),
            due_at=bindparam("b_due"),
            outcome=func.coalesce(bindparam("b_outcome"), leads.c.outcome),
            attempts=leads.c.attempts - bindparam("b_attempts_back"),
            updated_at=now,
        )
    )
    session.connection().execute(stmt, list(changes))


def fail_exhausted_leads(
    session: Session, campaign_id: uuid.UUID, max_retries: int, now: datetime
) -> int:
    """Queued leads that have had every call the retry rule allows become failed."""
    stmt = (
        update(leads)
        .where(
            leads.c.campaign_id == campaign_id,
            leads.c.status == LeadStatus.QUEUED,
            leads.c.attempts >= 1 + max_retries,
        )
        .values(status=LeadStatus.FAILED, due_at=None, updated_at=now)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def cancel_queued_leads(session: Session, campaign_id: uuid.UUID, now: datetime) -> int:
    stmt = (
        update(leads)
        .where(leads.c.campaign_id == campaign_id, leads.c.status == LeadStatus.QUEUED)
        .values(status=LeadStatus.CANCELLED, due_at=None, updated_at=now)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


# -- calls -----------------------------------------------------------------------------------


def insert_calls(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(calls), list(rows))


def count_in_flight(session: Session, campaign_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        calls.c.campaign_id == campaign_id, calls.c.status.in_(IN_FLIGHT)
    )
    return int(session.scalar(stmt) or 0)


def in_flight_counts(session: Session, campaign_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    ids = list(campaign_ids)
    if not ids:
        return {}
    stmt = (
        select(calls.c.campaign_id, func.count())
        .where(calls.c.campaign_id.in_(ids), calls.c.status.in_(IN_FLIGHT))
        .group_by(calls.c.campaign_id)
    )
    return {id: int(n) for id, n in session.execute(stmt).all()}


def get_call(session: Session, organization_id: uuid.UUID, id: uuid.UUID) -> Call | None:
    call = session.get(Call, id)
    return call if call is not None and call.organization_id == organization_id else None


def trunk_usage(session: Session, provider_name: str, since: datetime) -> tuple[int, int]:
    """(calls of a trunk in flight, those of them started after `since`), in every
    process: what the trunk's max_channels and cps are checked against."""
    started_recently = func.sum(case((calls.c.started_at > since, 1), else_=0))
    stmt = select(func.count(), started_recently).where(
        calls.c.provider_name == provider_name, calls.c.status.in_(IN_FLIGHT)
    )
    row = session.execute(stmt).one()
    return int(row[0] or 0), int(row[1] or 0)


def calls_for_update(session: Session, ids: Iterable[uuid.UUID]) -> list[Row[Any]]:
    """Calls with their lead's name, locked: events of one call are applied by one
    transaction at a time."""
    ids = list(ids)
    if not ids:
        return []
    stmt = (
        select(calls, leads.c.name.label("lead_name"))
        .join(leads, leads.c.id == calls.c.lead_id)
        .where(calls.c.id.in_(ids))
        .order_by(calls.c.id)
        .with_for_update(of=calls)
    )
    return list(session.execute(stmt).all())


CALL_CHANGES = (
    "status",
    "provider_call_id",
    "answered_by",
    "outcome",
    "answers",
    "error_code",
    "billable_minutes",
    "cost_micros",
    "duration_seconds",
    "recording_seconds",
    "answered_at",
    "ended_at",
    "lease_until",
)


def save_calls(session: Session, changes: Sequence[dict[str, Any]], now: datetime) -> None:
    """Write the new state of calls: each dict has `id` and every column in CALL_CHANGES."""
    if not changes:
        return
    stmt = (
        update(calls)
        .where(calls.c.id == bindparam("b_id"))
        .values({**{name: bindparam(f"b_{name}") for name in CALL_CHANGES}, "updated_at": now})
    )
    params = [{"b_id": c["id"], **{f"b_{n}": c[n] for n in CALL_CHANGES}} for c in changes]
    session.connection().execute(stmt, params)


def delete_calls(session: Session, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        session.execute(delete(calls).where(calls.c.id.in_(ids)))


def record_provider_ids(session: Session, accepted: Sequence[tuple[uuid.UUID, str]]) -> None:
    if not accepted:
        return
    stmt = (
        update(calls)
        .where(calls.c.id == bindparam("b_id"), calls.c.provider_call_id.is_(None))
        .values(provider_call_id=bindparam("b_ref"))
    )
    session.connection().execute(stmt, [{"b_id": id, "b_ref": ref} for id, ref in accepted])


def cancelled_calls_of_node(session: Session, node_id: str, limit: int) -> list[Row[Any]]:
    """(id, provider_name) of this node's calls still on the line whose campaign was
    cancelled: they are to be hung up."""
    stmt = (
        select(*[calls.c[name] for name in ("id", "provider_name")])
        .join(campaigns, campaigns.c.id == calls.c.campaign_id)
        .where(
            calls.c.node_id == node_id,
            calls.c.status.in_(IN_FLIGHT),
            campaigns.c.status == CampaignStatus.CANCELLED,
        )
        .limit(limit)
    )
    return list(session.execute(stmt).all())


def node_calls_in_flight(session: Session, node_id: str, limit: int) -> list[Row[Any]]:
    """Calls the node placed that are not known to have ended."""
    columns = ("id", "provider_name", "provider_call_id", "to_number", "from_number", "started_at")
    stmt = (
        select(*[calls.c[name] for name in (*columns, "status")])
        .where(calls.c.node_id == node_id, calls.c.status.in_(IN_FLIGHT))
        .order_by(calls.c.id)
        .limit(limit)
    )
    return list(session.execute(stmt).all())


def lost_calls(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    stmt = (
        select(calls.c.id)
        .where(calls.c.status.in_(IN_FLIGHT), calls.c.lease_until < now)
        .order_by(calls.c.lease_until)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def list_calls(
    session: Session,
    campaign_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None,
) -> list[Row[Any]]:
    stmt = (
        select(calls, leads.c.name.label("lead_name"))
        .join(leads, leads.c.id == calls.c.lead_id)
        .where(calls.c.campaign_id == campaign_id)
    )
    if before is not None:
        stmt = stmt.where(calls.c.id < before)
    if status is not None:
        stmt = stmt.where(calls.c.status == status)
    return list(session.execute(stmt.order_by(calls.c.id.desc()).limit(limit)).all())


# -- trunks ----------------------------------------------------------------------------------


def get_trunk(session: Session, name: str) -> Trunk | None:
    return session.scalars(select(Trunk).where(Trunk.name == name)).one_or_none()


def list_trunks(session: Session) -> list[Trunk]:
    return list(session.scalars(select(Trunk).order_by(Trunk.name)))


def numbers_using(session: Session, provider_name: str) -> int:
    stmt = select(func.count()).where(PhoneNumber.provider_name == provider_name)
    return int(session.scalar(stmt) or 0)


def delete_trunk(session: Session, trunk: Trunk) -> None:
    session.delete(trunk)
    session.flush()
