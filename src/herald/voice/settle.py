"""What happens when a provider reports on a call: its status moves forward (never back),
an ended call is billed per started minute and the rest of its hold is released, its lead
is finished or scheduled for a retry, and a campaign with nothing left is completed.

Also the two ways a call ends without a provider report: it was never handed over (its
campaign was paused or cancelled meanwhile, or the provider said "later"), or it was lost
(the node that placed it restarted and its provider no longer knows it, see recovery.py;
or, for another node's call, its lease ran out). A lost call that had been answered ends
answered: its lead is finished, never called again."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    EndReason,
)
from herald.voice import repository
from herald.voice.models import CALL_RANK, IN_FLIGHT, CallStatus, CampaignStatus, LeadStatus
from herald.voice.publish import calls_changed, campaigns_changed

LOST = "CALL_LOST"


def record_events(db: Database, clock: Clock, events: Sequence[CallEvent]) -> None:
    """The sink voice providers report to."""
    with db.transaction() as session:
        apply_events(session, clock, events)


def apply_events(session: Session, clock: Clock, events: Sequence[CallEvent]) -> None:
    events = _release_refused(session, clock, events)
    by_call: dict[uuid.UUID, list[CallEvent]] = defaultdict(list)
    for event in events:
        by_call[event.call_id].append(event)
    changed, ended = [], []
    statuses: dict[uuid.UUID, str] = {}
    for row in repository.calls_for_update(session, by_call):
        statuses[row.id] = row.status
        state = dict(row._mapping)
        for event in by_call[row.id]:
            _advance(state, event)
        if state == dict(row._mapping):
            continue
        changed.append(state)
        if row.status in IN_FLIGHT and state["status"] not in IN_FLIGHT:
            ended.append(state)
    now = clock.now()
    repository.save_calls(session, changed, now)
    calls_changed(session, clock, [c for c in changed if c["status"] != statuses[c["id"]]])
    finish_calls(session, clock, ended)


def _release_refused(
    session: Session, clock: Clock, events: Sequence[CallEvent]
) -> list[CallEvent]:
    """A call the carrier refused for now after first taking it (a 503 after 180) was no
    attempt, as one it refused at once: released like an unplaced call, its lead queued
    again after the carrier's Retry-After. The other events are left to apply."""
    refused = {
        e.call_id: e.retry_after_seconds
        for e in events
        if e.kind is CallEventKind.ENDED and e.retry_after_seconds is not None
    }
    for call_id, seconds in refused.items():
        retry_at = clock.now() + timedelta(seconds=seconds or 0)
        release_unplaced(session, clock, [call_id], retry_at)
    return [e for e in events if e.call_id not in refused]


def _advance(state: dict[str, Any], event: CallEvent) -> None:
    if state["status"] not in IN_FLIGHT:
        return  # final: a late or repeated report changes nothing
    state["provider_call_id"] = state["provider_call_id"] or event.provider_call_id or None
    if event.kind is CallEventKind.RINGING:
        _move(state, CallStatus.RINGING)
    elif event.kind is CallEventKind.ANSWERED:
        if _move(state, CallStatus.IN_PROGRESS):
            state["answered_at"] = event.occurred_at
            state["answered_by"] = event.answered_by and str(event.answered_by)
    else:
        _end(state, event)


def _move(state: dict[str, Any], status: CallStatus) -> bool:
    if CALL_RANK[status] <= CALL_RANK[CallStatus(state["status"])]:
        return False
    state["status"] = status
    return True


def _end(state: dict[str, Any], event: CallEvent) -> None:
    reported = event.end_reason is EndReason.COMPLETED and event.answered_by is not None
    # A call we recorded as answered stays answered whatever its end says (lost, or a
    # provider that only knows it failed): its lead is never called again.
    answered = reported or state["status"] == CallStatus.IN_PROGRESS
    # How long it talked, when anyone knows; an answered call whose end went unreported is
    # billed the one started minute that is certain.
    talk = event.talk_seconds if reported or event.talk_seconds else None
    if answered:
        by = event.answered_by if reported else AnsweredBy(state["answered_by"] or "human")
        state["status"] = CallStatus.COMPLETED if by is AnsweredBy.HUMAN else CallStatus.VOICEMAIL
        state["answered_by"] = str(by)
        state["answered_at"] = state["answered_at"] or event.occurred_at - timedelta(
            seconds=talk or 0
        )
    else:
        state["status"] = _UNANSWERED.get(event.end_reason or EndReason.FAILED, CallStatus.FAILED)
    minutes = billable_minutes((talk or 0) if answered else None)
    price = state["price_per_minute_micros"]
    # The hold covers the longest call the agent allows; a provider that reports more than
    # it was told to allow is not billed beyond it.
    held_minutes = state["held_micros"] // price if price else minutes
    state["billable_minutes"] = min(minutes, held_minutes)
    state["cost_micros"] = state["billable_minutes"] * price
    state["duration_seconds"] = talk if answered else 0
    state["ended_at"] = event.occurred_at
    state["outcome"] = event.outcome
    state["answers"] = dict(event.answers)
    state["error_code"] = event.error_code
    state["recording_seconds"] = event.recording_seconds
    state["lease_until"] = None


_UNANSWERED = {
    EndReason.BUSY: CallStatus.BUSY,
    EndReason.NO_ANSWER: CallStatus.NO_ANSWER,
    EndReason.FAILED: CallStatus.FAILED,
}


def billable_minutes(talk_seconds: int | None) -> int:
    """Per started minute: an answered call costs at least one, an unanswered one none."""
    if talk_seconds is None:
        return 0
    return max(1, math.ceil(talk_seconds / 60))


def finish_calls(session: Session, clock: Clock, ended: Sequence[dict[str, Any]]) -> None:
    """Leads, money and campaigns after calls ended."""
    if not ended:
        return
    now = clock.now()
    for call in ended:
        metrics.voice_calls_ended.labels(str(call["status"])).inc()
    rules = repository.retry_rules(session, {c["campaign_id"] for c in ended})
    repository.set_leads(session, [_lead_after(c, rules[c["campaign_id"]]) for c in ended], now)
    _release_holds(session, clock, ended)
    complete(session, clock, rules)


def _lead_after(call: dict[str, Any], rule: Any) -> dict[str, Any]:
    status = call["status"]
    leaves_message = (rule.voicemail or {}).get("action") == "leave_message"
    if status == CallStatus.COMPLETED or (status == CallStatus.VOICEMAIL and leaves_message):
        return _lead_change(call, LeadStatus.COMPLETED, None, call["outcome"] or str(status))
    if rule.status == CampaignStatus.CANCELLED:
        return _lead_change(call, LeadStatus.CANCELLED, None, str(status))
    if call["attempt"] >= 1 + rule.max_retries:
        return _lead_change(call, LeadStatus.FAILED, None, str(status))
    retry_at = call["ended_at"] + timedelta(minutes=rule.retry_interval_minutes)
    return _lead_change(call, LeadStatus.QUEUED, retry_at, str(status))


def _lead_change(
    call: dict[str, Any], status: LeadStatus, due: datetime | None, outcome: str | None
) -> dict[str, Any]:
    return {
        "b_id": call["lead_id"],
        "b_status": status,
        "b_due": due,
        "b_outcome": outcome,
        "b_attempts_back": 0,
    }


def _release_holds(session: Session, clock: Clock, ended: Iterable[dict[str, Any]]) -> None:
    billing.refund(
        session,
        clock,
        (
            billing.Refund(
                c["billing_account_id"],
                c["held_micros"] - c["cost_micros"],
                f"release:call:{c['id']}",
                f"Unused hold of call {c['id']} ({c['billable_minutes']} min billed)",
            )
            for c in ended
        ),
    )


def complete(session: Session, clock: Clock, campaigns: Iterable[uuid.UUID]) -> None:
    done = repository.complete_campaigns(session, campaigns, clock.now())
    campaigns_changed(session, clock, done)


def release_unplaced(
    session: Session,
    clock: Clock,
    call_ids: Sequence[uuid.UUID],
    retry_at: datetime,
) -> None:
    """Calls that never reached the line (the campaign stopped meanwhile, or the provider
    could not take them yet) were no attempt: they leave the call log, their hold comes back
    in full, and their lead gets its attempt back (queued again at `retry_at`, or cancelled
    with its campaign)."""
    rows = [r for r in repository.calls_for_update(session, call_ids) if r.status in IN_FLIGHT]
    if not rows:
        return
    now = clock.now()
    states = [{**row._mapping, "cost_micros": 0, "billable_minutes": 0} for row in rows]
    repository.delete_calls(session, [s["id"] for s in states])
    rules = repository.retry_rules(session, {s["campaign_id"] for s in states})
    changes = []
    for state in states:
        cancelled = rules[state["campaign_id"]].status == CampaignStatus.CANCELLED
        change = _lead_change(
            state,
            LeadStatus.CANCELLED if cancelled else LeadStatus.QUEUED,
            None if cancelled else retry_at,
            None,
        )
        change["b_attempts_back"] = 1
        changes.append(change)
    repository.set_leads(session, changes, now)
    _release_holds(session, clock, states)
    complete(session, clock, rules)


def lost_event(call_id: uuid.UUID, now: datetime) -> CallEvent:
    """What we record for a call whose lease ran out without an end: failed, nothing billed."""
    return CallEvent(
        "HERALD",
        call_id,
        "",
        CallEventKind.ENDED,
        now,
        end_reason=EndReason.FAILED,
        error_code=LOST,
    )


def sweep_lost(db: Database, clock: Clock, limit: int = 500) -> int:
    with db.transaction() as session:
        now = clock.now()
        ids = repository.lost_calls(session, now, limit)
        apply_events(session, clock, [lost_event(id, now) for id in ids])
    return len(ids)
