"""What a restarted node does before it dials again: it settles the calls it had on the
line when it stopped, at once, instead of letting them hold their campaign's lines until
their leases run out.

It asks each call's provider what became of it (`VoiceProvider.recover`):

- still up: the provider re-attached to it and will report its end; what it says happened
  meanwhile (an answer) is recorded now;
- ended: what the provider knows is applied as if it had been reported;
- unknown (not on the line, nothing known, e.g. the built-in simulator after a restart):
  a call that never reached the provider (`queued`, no provider id) was no attempt and its
  lead is due again now; any other call ends lost (`CALL_LOST`): answered ones as answered
  (the lead is finished, never called again; one minute billed, the certain part of an
  answered call), the others failed and not billed (the attempt counts, the lead follows
  the retry rules).

A provider that cannot answer (it raises, or leaves a call out) leaves those calls to their
lease, as for the calls of a node that never comes back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog
from sqlalchemy import Row

from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.voice_base import (
    CallEventKind,
    CallFate,
    CallRef,
    FateKind,
    VoiceProvider,
)
from herald.voice import repository, settle
from herald.voice.dialer import VoiceProviders
from herald.voice.models import IN_FLIGHT, CallStatus

log = structlog.get_logger(__name__)

MAX_CALLS = 100_000


@dataclass(frozen=True, slots=True)
class Recovered:
    up: int = 0  # still on the line, re-attached
    ended: int = 0  # the provider said how they ended
    lost: int = 0  # nobody knows: ended as lost
    unplaced: int = 0  # never reached the provider: no attempt
    left: int = 0  # the provider could not say: left to their lease

    def __add__(self, other: Recovered) -> Recovered:
        mine, theirs = asdict(self), asdict(other)
        return Recovered(**{name: mine[name] + theirs[name] for name in mine})


def recover_node(db: Database, clock: Clock, providers: VoiceProviders, node_id: str) -> Recovered:
    with db.reading() as session:
        rows = repository.node_calls_in_flight(session, node_id, MAX_CALLS)
    by_provider: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        by_provider[row.provider_name].append(row)
    total = Recovered()
    for name, calls in by_provider.items():
        provider = providers.providers.get(name)
        if provider is None:
            log.warning("voice.recovery.no_provider", provider=name, calls=len(calls))
            total += Recovered(left=len(calls))
            continue
        total += _recover(db, clock, provider, calls)
    if rows:
        log.info("voice.recovery.done", node_id=node_id, **asdict(total))
    return total


def _recover(
    db: Database, clock: Clock, provider: VoiceProvider, calls: Sequence[Row[Any]]
) -> Recovered:
    refs = [
        CallRef(c.id, c.provider_call_id, c.to_number, c.from_number, c.started_at) for c in calls
    ]
    try:
        fates = {fate.call_id: fate for fate in provider.recover(refs)}
    except Exception:
        log.exception("voice.recovery.provider_failed", provider=provider.name, calls=len(refs))
        return Recovered(left=len(refs))
    ours = {c.id for c in calls}
    known = [fate for id, fate in fates.items() if id in ours]
    with db.transaction() as session:
        settle.apply_events(session, clock, [e for f in known for e in f.events])
        unknown = [f.call_id for f in known if not _settled_by_provider(f)]
        open_calls = [
            r for r in repository.calls_for_update(session, unknown) if r.status in IN_FLIGHT
        ]
        unplaced = [
            r.id for r in open_calls if r.status == CallStatus.QUEUED and not r.provider_call_id
        ]
        lost = [r.id for r in open_calls if r.id not in set(unplaced)]
        now = clock.now()
        settle.release_unplaced(session, clock, unplaced, now)
        settle.apply_events(session, clock, [settle.lost_event(id, now) for id in lost])
    up = sum(1 for f in known if f.kind is FateKind.UP)
    return Recovered(
        up=up,
        ended=len(known) - up - len(unknown),
        lost=len(lost),
        unplaced=len(unplaced),
        left=len(refs) - len(known),
    )


def _settled_by_provider(fate: CallFate) -> bool:
    """UP, or ENDED with the end event; an ENDED fate without its end is as good as unknown."""
    if fate.kind is FateKind.UP:
        return True
    return fate.kind is FateKind.ENDED and any(e.kind is CallEventKind.ENDED for e in fate.events)
