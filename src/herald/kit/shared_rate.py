"""A rate (so many a second) shared by every process that uses the same Redis and key,
for code that runs in threads (SMPP's asyncio connections have their own twin,
providers/smpp/throughput.SharedWindow, built the same way).

The count is a `limits` moving window kept in Redis. Places are taken in blocks of a
fiftieth of a second's worth and handed out locally, so that a fast number costs Redis
tens of round trips a second, not one per message; a block a process does not use is lost
for that second, so the processes together run a little under the rate, never over it.
"""

from __future__ import annotations

import threading
import time

import structlog
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond, strategies
from limits import storage as limits_storage

log = structlog.get_logger(__name__)

AWAY_SECONDS = 10.0  # how long an unreachable Redis is not asked again


def _item(rate: float) -> RateLimitItem:
    if rate >= 1:
        return RateLimitItemPerSecond(int(rate))
    return RateLimitItemPerMinute(max(1, round(rate * 60)))  # slower than one a second


class SharedRate:
    def __init__(self, redis_url: str, namespace: str, key: str, rate: float) -> None:
        # Short timeouts: a Redis that is away must not hold the sends up for long.
        self._storage = limits_storage.storage_from_string(
            redis_url, socket_connect_timeout=0.5, socket_timeout=1.0
        )
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._item = _item(rate)
        self._keys = (namespace, key)
        self._block = max(1, self._item.amount // 50)
        self._local = 0
        self._lock = threading.Lock()
        self._away_until = 0.0  # after a failure, Redis is left alone for a while

    def take(self) -> None:
        """Block until one place is ours. Should Redis be unreachable, go on: each process's
        own pacing still holds it to the rate (the limit is then per process, as with no
        Redis configured)."""
        with self._lock:  # first come, first served; one block taken at a time
            if time.monotonic() < self._away_until:
                return
            try:
                while self._local == 0:
                    if self._limiter.hit(self._item, *self._keys, cost=self._block):
                        self._local = self._block
                        break
                    stats = self._limiter.get_window_stats(self._item, *self._keys)
                    time.sleep(min(1.0, max(0.001, stats.reset_time - time.time())))
            except Exception as exc:  # the store has many errors; sending goes on regardless
                log.warning("shared_rate.unavailable", key=self._keys[1], error=str(exc))
                self._away_until = time.monotonic() + AWAY_SECONDS
                return
            self._local -= 1
