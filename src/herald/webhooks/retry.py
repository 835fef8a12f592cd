"""When to try a failed delivery again: exponential backoff with jitter, for a while."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay: timedelta = timedelta(seconds=10)
    factor: float = 3.0
    max_delay: timedelta = timedelta(hours=6)
    # How long after the event a delivery is retried before it is given up (about 3 days).
    window: timedelta = timedelta(hours=72)
    # Each delay is stretched or shrunk by up to this fraction, so that the retries of
    # many deliveries that failed together (an endpoint's outage) do not return together.
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def next_attempt(
        self,
        attempt: int,
        created_at: datetime,
        now: datetime,
        retry_after: timedelta | None = None,
    ) -> datetime | None:
        """When attempt `attempt + 1` is due, or None when the delivery is given up.
        A `Retry-After` from the endpoint is honoured (up to `max_delay`)."""
        deadline = created_at + self.window
        if now >= deadline:
            return None
        seconds = self.first_delay.total_seconds() * self.factor ** max(attempt - 1, 0)
        seconds = min(seconds, self.max_delay.total_seconds())
        seconds *= 1 + self.rng.uniform(-self.jitter, self.jitter)
        delay = timedelta(seconds=seconds)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        # The last try happens at the deadline rather than never.
        return min(now + delay, deadline)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(at - now, timedelta(0))
