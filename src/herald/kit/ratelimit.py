"""Request rate limits (the `limits` library): in memory, or in Redis when several
processes must share the counters.

`hit` counts every request. `reserve` + `settle` count only the requests whose outcome
deserves it (a batch accepted, not one refused): a reservation holds a place while the
request runs and is counted (`settle(accepted=True)`) or dropped afterwards. Reservations
in flight are known to this process only: within one process the limit is exact (never
exceeded, and a request may be refused while another one holds a place it then gives
back); processes sharing Redis can each admit a request while the same last place is held
elsewhere, so a burst may exceed the limit by at most the number of processes minus one.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
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
        self._in_flight: Counter[tuple[str, ...]] = Counter()
        self._mutex = threading.Lock()

    def hit(self, limit: str, *keys: str) -> Verdict:
        item: RateLimitItem = parse(limit)
        return self._verdict(item, self._strategy.hit(item, *keys), keys)

    def reserve(self, limit: str, *keys: str) -> Verdict:
        """Holds a place if the counted requests plus those in flight leave one."""
        item: RateLimitItem = parse(limit)
        with self._mutex:
            self._in_flight[keys] += 1
            cost = self._in_flight[keys]
        allowed = self._strategy.test(item, *keys, cost=cost)
        if not allowed:
            self._drop(keys)
        return self._verdict(item, allowed, keys)

    def settle(self, limit: str, *keys: str, accepted: bool) -> Verdict:
        """Ends a reservation: counted when the request was accepted, else given back."""
        item: RateLimitItem = parse(limit)
        try:
            if accepted:
                self._strategy.hit(item, *keys)
        finally:
            self._drop(keys)
        return self._verdict(item, True, keys)

    def _drop(self, keys: tuple[str, ...]) -> None:
        with self._mutex:
            self._in_flight[keys] -= 1
            if self._in_flight[keys] <= 0:
                del self._in_flight[keys]

    def _verdict(self, item: RateLimitItem, allowed: bool, keys: tuple[str, ...]) -> Verdict:
        stats = self._strategy.get_window_stats(item, *keys)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed, item.amount, stats.remaining, reset_after, item.get_expiry())
