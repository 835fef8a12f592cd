"""Sending caps of outreach campaigns. When one is hit, the campaign pauses itself until a
computed time (shown as `rateLimitedUntil`) and the sequencer resumes it then:

- a daily cap per sender ID (the campaign's `dailySendCap` and the operator's
  HERALD_OUTREACH_SENDER_DAILY_CAP; the lower applies), counted per UTC day over every
  outreach campaign sending from that sender, resuming at the next UTC midnight;
- a carrier throttling us (a submit answered "retry after N seconds"), resuming then.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from herald.kit.clock import Clock, isoformat
from herald.messaging.throttles import Throttled
from herald.outreach import repository


def effective_cap(campaign_cap: int | None, operator_cap: int | None) -> int | None:
    caps = [cap for cap in (campaign_cap, operator_cap) if cap is not None]
    return min(caps) if caps else None


def next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), UTC)


class SenderQuota:
    """Today's count of each sender in this transaction, taken one message at a time."""

    def __init__(self, session: Session, now: datetime, senders: set[uuid.UUID]) -> None:
        self._session = session
        self.day: date = now.astimezone(UTC).date()
        self.resets_at = next_utc_midnight(now)
        # Locked in one order by every worker, so that none waits on another in a circle.
        self._used = {s: repository.lock_sender_day(session, s, self.day) for s in sorted(senders)}
        self._start = dict(self._used)

    def take(self, sender: uuid.UUID, cap: int | None) -> bool:
        if cap is not None and self._used[sender] >= cap:
            return False
        self._used[sender] += 1
        return True

    def give_back(self, sender: uuid.UUID) -> None:
        self._used[sender] -= 1

    def save(self) -> None:
        for sender, used in self._used.items():
            if used != self._start[sender]:
                repository.set_sender_day(self._session, sender, self.day, used)


def cap_note(cap: int, until: datetime) -> str:
    return f"Daily cap of {cap} messages for this sender reached; resumes at {isoformat(until)}."


def on_throttled(session: Session, clock: Clock, event: Throttled) -> None:
    """A carrier asked us to slow down: the campaigns whose messages it refused pause."""
    ids = repository.campaigns_of_messages(session, list(event.message_ids))
    if not ids:
        return
    repository.lock_campaigns(session, ids)
    note = f"Carrier {event.provider_name} is throttling; resumes at {isoformat(event.until)}."
    repository.pause_campaigns(session, ids, event.until, note, clock.now())
