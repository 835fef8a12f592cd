"""Cancelling a campaign ends its live calls: the node that carries them (whichever process
answered the cancel) sees them in the database and asks their provider to hang them up — a
BYE when answered, a CANCEL while ringing. Pausing only stops new calls (the dialer's gate),
so it never hangs up."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

import structlog

from herald.kit.db import Database
from herald.voice import repository
from herald.voice.dialer import VoiceProviders

log = structlog.get_logger(__name__)

ASK_AGAIN_SECONDS = 10.0  # a hang-up the line lost is asked for again after this


class Asked:
    """Calls already asked to hang up (monotonic time of the ask), so each poll asks anew
    only for calls it has not asked for lately."""

    def __init__(self) -> None:
        self._at: dict[uuid.UUID, float] = {}

    def fresh(self, ids: list[uuid.UUID]) -> list[uuid.UUID]:
        now = time.monotonic()
        self._at = {id: at for id, at in self._at.items() if now - at < ASK_AGAIN_SECONDS}
        new = [id for id in ids if id not in self._at]
        for id in new:
            self._at[id] = now
        return new


def hang_up_cancelled(
    db: Database, providers: VoiceProviders, node_id: str, asked: Asked, limit: int = 1000
) -> int:
    """One poll: returns how many calls were newly asked to hang up."""
    with db.reading() as session:
        rows = repository.cancelled_calls_of_node(session, node_id, limit)
    by_provider: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_provider[row.provider_name].append(row.id)
    total = 0
    for name, ids in by_provider.items():
        provider = providers.providers.get(name)
        fresh = asked.fresh(ids)
        if provider is None or not fresh:
            continue
        log.info("voice.hang_up", provider=name, calls=len(fresh))
        provider.hang_up(fresh)
        total += len(fresh)
    return total
