"""Operator settings of routing: carrier overrides by prefix."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from herald.errors import NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.routing import repository
from herald.routing.models import CarrierPrefix
from herald.routing.numbers import CarrierDetector, carrier_code

_PREFIX = re.compile(r"^\+\d{1,15}$")


def detector(session: Session) -> CarrierDetector:
    return CarrierDetector(repository.carrier_overrides(session))


def set_carrier_prefix(session: Session, clock: Clock, prefix: str, carrier: str) -> CarrierPrefix:
    if not _PREFIX.match(prefix):
        raise ValidationFailed({"prefix": "A prefix is '+' followed by 1 to 15 digits."})
    row = repository.get_prefix(session, prefix)
    code = carrier_code(carrier)
    if row is None:
        row = CarrierPrefix(prefix=prefix, carrier=code, created_at=clock.now())
        repository.add_prefix(session, row)
    else:
        row.carrier = code
    return row


def remove_carrier_prefix(session: Session, prefix: str) -> None:
    if not repository.remove_prefix(session, prefix):
        raise NotFound(f"No carrier override for prefix {prefix}.")


def list_carrier_prefixes(session: Session) -> list[CarrierPrefix]:
    return repository.list_prefixes(session)
