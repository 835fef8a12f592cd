"""The sequencer: the work the queue runs for outreach campaigns.

Each turn claims a batch of leads whose next step is due (in running campaigns), decides
their steps outside any write lock (rendering templates is the slow part), then writes the
outcome in one transaction. A lead is leased while its turn runs; if the process dies the
lease runs out and another worker takes the lead from the same step, and a step is sent
at most once (the conversation has one row per lead and step).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from herald.inbound import listeners as inbound
from herald.kit.clock import Clock, isoformat
from herald.kit.db import Database
from herald.messaging import throttles
from herald.messaging.encoding import DEFAULT_MAX_SEGMENTS
from herald.outreach import pacing, replies, repository, sending
from herald.outreach import workflow as workflows
from herald.outreach.models import EnrollmentState, Lead, OutreachCampaign
from herald.outreach.sequence import LeadView, Turn, take_turn

HISTORY_LIMIT = 20


def install() -> None:
    """Listen for replies (to stop sequences) and for carriers throttling (to pause)."""
    inbound.register(replies.on_inbound)
    throttles.register(pacing.on_throttled)


@dataclass(frozen=True, slots=True)
class Loaded:
    campaigns: dict[uuid.UUID, OutreachCampaign]
    leads: dict[uuid.UUID, Lead]
    histories: dict[uuid.UUID, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A batch of leads held by one worker, and what each one's turn is."""

    turns: dict[uuid.UUID, Turn]  # by enrollment id, in claim order
    campaign_ids: dict[uuid.UUID, uuid.UUID]  # enrollment id -> campaign id
    leads: dict[uuid.UUID, Lead]


def advance_due(
    db: Database,
    clock: Clock,
    owner: str,
    lease: timedelta,
    limit: int,
    operator_cap: int | None = None,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> int:
    """Run the due steps of up to `limit` leads; return how many leads were claimed."""
    claimed = claim_turns(db, clock, owner, lease, limit, max_segments)
    if not claimed.turns:
        return 0
    write_turns(db, clock, owner, claimed, operator_cap)
    return len(claimed.turns)


def claim_turns(
    db: Database,
    clock: Clock,
    owner: str,
    lease: timedelta,
    limit: int,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> Claimed:
    """Lease due leads and decide their turns; campaigns whose cap pause is over resume."""
    now = clock.now()
    with db.reading() as session:
        if not repository.anything_due(session, now):
            return Claimed({}, {}, {})
    with db.transaction() as session:
        repository.resume_rate_limited(session, now)
        rows = repository.claim_enrollments(session, owner, now, lease, limit)
        loaded = _load(session, rows)
    return Claimed(
        {row.id: _turn(row, loaded, now, max_segments) for row in rows},
        {row.id: row.campaign_id for row in rows},
        loaded.leads,
    )


def write_turns(
    db: Database, clock: Clock, owner: str, claimed: Claimed, operator_cap: int | None
) -> None:
    """Record the turns of the leads `owner` still holds (one transaction)."""
    with db.transaction() as session:
        sending.record_turns(
            session,
            clock,
            owner,
            claimed.turns,
            claimed.campaign_ids,
            claimed.leads,
            operator_cap,
        )


def _load(session: Session, claimed: list[Row[Any]]) -> Loaded:
    campaigns = repository.campaigns_by_id(session, {row.campaign_id for row in claimed})
    leads = repository.leads_by_id(session, {row.lead_id for row in claimed})
    histories = {
        row.lead_id: _history(session, row.lead_id)
        for row in claimed
        if campaigns[row.campaign_id].include_conversation_history
    }
    return Loaded(campaigns, leads, histories)


def _history(session: Session, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    recent = repository.conversation(session, lead_id, limit=HISTORY_LIMIT, newest_first=True)
    return [
        {"direction": e.direction, "content": e.content, "at": isoformat(e.created_at)}
        for e in reversed(recent)
    ]


def _turn(row: Row[Any], loaded: Loaded, now: datetime, max_segments: int) -> Turn:
    campaign = loaded.campaigns[row.campaign_id]
    steps = workflows.load(campaign.workflow)
    if steps is None:
        return Turn(row.step_index, EnrollmentState.FAILED, None, "NO_WORKFLOW")
    lead = loaded.leads[row.lead_id]
    fields = lead_context(lead)
    context = {
        "lead": fields,
        "campaign": {"name": campaign.name, "description": campaign.description},
        "conversation": loaded.histories.get(row.lead_id, []),
    }
    view = LeadView(fields, lead.language, lead.time_zone)
    language = campaign.outreach_language
    return take_turn(steps, row.step_index, view, language, context, now, max_segments)


def lead_context(lead: Lead) -> dict[str, Any]:
    """The lead as templates see it: `{{ lead.firstName }}`, custom fields both as
    `{{ lead.city }}` and `{{ lead.fields.city }}`."""
    full_name = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    return {
        **lead.fields,
        "firstName": lead.first_name,
        "lastName": lead.last_name,
        "fullName": full_name or None,
        "email": lead.email,
        "company": lead.company,
        "phone": lead.phone,
        "language": lead.language,
        "timeZone": lead.time_zone,
        "fields": dict(lead.fields),
    }
