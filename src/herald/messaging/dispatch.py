"""Dispatch: claim due messages, hand them to their carrier connection, record the answer.

A message is leased while it is being handed over. If the process dies before the answer
is recorded, the lease runs out and the message is handed over again with a higher
attempt number, so that providers can recognise (or count) the repeat.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import Row
from sqlalchemy.orm import Session

from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.messaging import (
    campaign_status,
    control,
    events,
    parts,
    repository,
    settle,
    throttles,
)
from herald.messaging.models import MessageStatus
from herald.providers.base import Provider, SentPart, Submission, SubmitOutcome, SubmitResult
from herald.routing.router import Router
from herald.tenancy import repository as tenancy

log = structlog.get_logger(__name__)

DEFAULT_RETRY_SECONDS = 1.0


def dispatch_due(
    db: Database, clock: Clock, router: Router, owner: str, lease: timedelta, limit: int
) -> int:
    """Hand over up to `limit` due messages; return how many were claimed."""
    with db.reading() as session:
        idle = not repository.any_message_due(session, clock.now())
    if idle:
        settle.sweep_early_receipts(db, clock)
        return 0
    with db.transaction() as session:
        rows = repository.claim_messages(session, owner, clock.now(), lease, limit)
        senders = _sender_names(session, rows)
        sent = parts.sent_parts(session, [r.id for r in rows if r.attempts > 1])
    if not rows:
        settle.sweep_early_receipts(db, clock)
        return 0
    batches: dict[str, list[Submission]] = defaultdict(list)
    providers: dict[str, Provider] = {}
    claimed = {row.id: row for row in rows}
    for row in rows:
        provider = router.provider_for(
            row.e164_format, row.country_alpha2, row.channel_destination, row.channel_type
        )
        providers[provider.name] = provider
        batches[provider.name].append(_submission(row, senders, sent.get(row.id, ())))
    # A campaign can complete only once none of its messages in this batch waits for an
    # answer: its completion is checked with the group that answers the last of them.
    waiting = Counter(row.campaign_id for row in rows)
    for provider_name, submissions in batches.items():
        for results in _submit(providers[provider_name], submissions):
            waiting.subtract(claimed[r.message_id].campaign_id for r in results)
            answered = {claimed[r.message_id].campaign_id for r in results}
            last = {c for c in answered if waiting[c] <= 0}
            with db.transaction() as session:
                _record(session, clock, provider_name, results, owner, claimed, last)
    return len(rows)


def _sender_names(session: Session, rows: Sequence[Row[Any]]) -> dict[uuid.UUID, str]:
    remitters = tenancy.get_remitters(session, {r.remitter_id for r in rows if r.remitter_id})
    return {id: remitter.name for id, remitter in remitters.items()}


def _submission(
    row: Row[Any], senders: dict[uuid.UUID, str], sent: tuple[SentPart, ...]
) -> Submission:
    return Submission(
        message_id=row.id,
        destination=row.address or row.e164_format,  # an email goes to its address
        sender=senders.get(row.remitter_id, ""),
        text=row.content,
        attempt=row.attempts,
        channel_type=row.channel_type,
        payload=row.payload or {},
        sent_parts=sent,
    )


def _submit(provider: Provider, submissions: list[Submission]) -> Iterator[list[SubmitResult]]:
    """The provider's answers, group by group as they arrive. If the connection fails as a
    whole, what it has not answered is not known to be sent: it is tried again shortly."""
    resent = sum(1 for s in submissions if s.attempt > 1)
    if resent:
        metrics.messages_resent.labels(provider.name).inc(resent)
    unanswered = {s.message_id for s in submissions}
    try:
        with metrics.provider_submit_seconds.labels(provider.name).time():
            for group in provider.submit(submissions):
                results = [r for r in group if r.message_id in unanswered]
                unanswered.difference_update(r.message_id for r in results)
                _count(provider.name, results)
                yield results
    except Exception:
        log.exception("dispatch.provider_failed", provider=provider.name, count=len(unanswered))
        metrics.provider_submit_errors.labels(provider.name).inc()
    if unanswered:
        results = [SubmitResult(id, SubmitOutcome.RETRY) for id in unanswered]
        _count(provider.name, results)
        yield results


def _count(provider_name: str, results: list[SubmitResult]) -> None:
    # One labelled counter per outcome in the group, not one label lookup per message.
    for outcome, count in Counter(r.outcome.value for r in results).items():
        metrics.messages_submitted.labels(provider_name, outcome).inc(count)


def _record(
    session: Session,
    clock: Clock,
    provider_name: str,
    results: list[SubmitResult],
    owner: str,
    claimed: dict[uuid.UUID, Row[Any]],
    last: set[uuid.UUID | None],
) -> None:
    """One group of answers in one transaction: the parts the carrier took, the messages
    it took whole (SENT), the receipts that came before their parts, refusals and retries."""
    repository.serialize_receipts(session, provider_name)  # first: see its docstring
    now = clock.now()
    segments = {r.message_id: claimed[r.message_id].segments for r in results}
    recorded = parts.record(session, provider_name, results, segments, now)
    accepted = {
        r.provider_message_id: r.message_id
        for r in results
        if r.outcome is SubmitOutcome.ACCEPTED and r.provider_message_id
    }
    repository.mark_sent(
        session, [(id, provider_name, ref) for ref, id in accepted.items()], owner, now
    )
    events.messages_sent(session, now, accepted)
    settle.match_early_receipts(session, clock, provider_name, recorded)
    settle.finish(
        session,
        clock,
        [
            (r.message_id, MessageStatus.REJECTED, r.error_code)
            for r in results
            if r.outcome is SubmitOutcome.REJECTED
        ],
    )
    retry = [r for r in results if r.outcome is SubmitOutcome.RETRY]
    for r in retry:
        delay = r.retry_after_seconds or DEFAULT_RETRY_SECONDS
        repository.postpone(session, [r.message_id], now + timedelta(seconds=delay), owner)
    _report_throttling(session, clock, provider_name, retry)
    control.reapply_stops(session, clock, {claimed[r.message_id].campaign_id for r in retry})
    campaign_status.complete_finished(session, last, now)


def _report_throttling(
    session: Session, clock: Clock, provider_name: str, retry: list[SubmitResult]
) -> None:
    """A carrier that names a delay is throttling us (a failed connection names none)."""
    paced = [r for r in retry if r.retry_after_seconds]
    if not paced:
        return
    longest = max(r.retry_after_seconds or 0.0 for r in paced)
    event = throttles.Throttled(
        provider_name,
        tuple(r.message_id for r in paced),
        clock.now() + timedelta(seconds=longest),
    )
    throttles.notify(session, clock, event)
