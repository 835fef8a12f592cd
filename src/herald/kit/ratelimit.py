"""Request rate limits (the `limits` library): in memory, or in Redis when several
processes must share the counters."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage, strategies


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until a request is allowed again / the window resets
    window: int  # seconds


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://") -> None:
        self._storage = storage.storage_from_string(storage_uri)
        self._strategy = strategies.MovingWindowRateLimiter(self._storage)

    def hit(self, limit: str, *keys: str) -> Verdict:
        item: RateLimitItem = parse(limit)
        allowed = self._strategy.hit(item, *keys)
        stats = self._strategy.get_window_stats(item, *keys)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed, item.amount, stats.remaining, reset_after, item.get_expiry())
