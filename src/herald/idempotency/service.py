"""Idempotency keys: a retried POST gets the first response instead of a second effect.

The first request with a key stores it as RUNNING (the unique index on (caller, key)
decides who is first), runs, and stores its response. A request with the same key and
the same body then gets that response; with another body, a 422; while the first is
still running, a 409. Responses that say the request was not processed (authentication,
validation, conflicts, rate limits, server errors) are not kept: the key is released so
that the client can correct the request and retry with it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from herald.errors import HeraldError
from herald.idempotency import repository
from herald.idempotency.models import IdempotencyKey, KeyStatus
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.kit.ids import new_id

MAX_KEY_LENGTH = 255
# A RUNNING key older than this is presumed abandoned (its process died) and taken over.
RUNNING_LEASE = timedelta(seconds=60)
NOT_KEPT = frozenset({400, 401, 403, 408, 409, 422, 425, 429})


class IdempotencyKeyReused(HeraldError):
    status = 422
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request. "
            "Use a new key for a new request."
        )


class IdempotencyKeyInUse(HeraldError):
    status = 409
    code = "IDEMPOTENCY_KEY_IN_USE"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed. Retry shortly."
        )


class Verdict(enum.Enum):
    PROCEED = "proceed"  # this request runs; finish with `complete` or `release`
    REPLAY = "replay"  # answer with the stored response


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    verdict: Verdict
    key_id: uuid.UUID
    response: StoredResponse | None = None


def worth_keeping(status: int) -> bool:
    return status < 500 and status not in NOT_KEPT


def begin(
    session: Session,
    clock: Clock,
    caller: str,
    key: str,
    fingerprint: str,
    ttl: timedelta,
) -> Claim:
    """Claim `key` for this request, or say what to answer instead (raises the 409/422)."""
    now = clock.now()
    fresh = {
        "fingerprint": fingerprint,
        "status": KeyStatus.RUNNING,
        "response_status": None,
        "response_content_type": None,
        "response_body": None,
        "locked_until": now + RUNNING_LEASE,
        "created_at": now,
        "expires_at": now + ttl,
    }
    id = new_id()
    if repository.insert_if_absent(session, {"id": id, "caller": caller, "key": key, **fresh}):
        return Claim(Verdict.PROCEED, id)
    found = repository.lock(session, caller, key)
    if found is None:  # expired and purged between the two statements
        repository.insert_if_absent(session, {"id": id, "caller": caller, "key": key, **fresh})
        return Claim(Verdict.PROCEED, id)
    if _reusable(found, fingerprint, now):
        repository.update_key(session, found.id, fresh)
        return Claim(Verdict.PROCEED, found.id)
    if found.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if found.status == KeyStatus.RUNNING:
        raise IdempotencyKeyInUse()
    stored = StoredResponse(
        found.response_status or 200, found.response_content_type, found.response_body or b""
    )
    return Claim(Verdict.REPLAY, found.id, stored)


def _reusable(found: IdempotencyKey, fingerprint: str, now: datetime) -> bool:
    if found.expires_at <= now:
        return True
    abandoned = found.status == KeyStatus.RUNNING and found.locked_until <= now
    return abandoned and found.fingerprint == fingerprint


def complete(session: Session, key_id: uuid.UUID, response: StoredResponse) -> None:
    repository.update_key(
        session,
        key_id,
        {
            "status": KeyStatus.DONE,
            "response_status": response.status,
            "response_content_type": response.content_type,
            "response_body": response.body,
        },
    )


def release(session: Session, key_id: uuid.UUID) -> None:
    repository.delete_key(session, key_id)


def purge_expired(db: Database, clock: Clock, batch: int = 1000) -> int:
    with db.transaction() as session:
        return repository.delete_expired(session, clock.now(), batch)
