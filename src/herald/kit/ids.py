"""UUIDv7 identifiers: time-ordered, so that ids double as a stable sort key and cursor."""

from __future__ import annotations

import uuid

from uuid_utils import compat


def new_id() -> uuid.UUID:
    return compat.uuid7()


def parse_v7(value: str) -> uuid.UUID | None:
    """The UUID if `value` is a canonical version-7 UUID, else None."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
    if parsed.version != 7 or parsed.variant != uuid.RFC_4122:
        return None
    return parsed
