"""The TPS limit of one connection: how many submit_sm per second may leave.

In one process a token bucket does it. When several worker processes bind the same SMPP
account (HERALD_REDIS_URL set), they share one moving-window counter in Redis, so the
carrier sees the configured rate in total and not once per process.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits import storage as limits_storage
from limits.aio import strategies


class Throughput(Protocol):
    def try_acquire(self) -> bool:
        """Take a token now if one is free (no waiting)."""
        ...

    async def acquire(self) -> None: ...


class TokenBucket:
    """`rate` tokens per second, with a burst of at most a tenth of a second's worth."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate / 10)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    def try_acquire(self) -> bool:
        if self._lock.locked():
            return False  # others are waiting: queue behind them
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            while True:
                self._refill()
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


class SharedWindow:
    """`rate` per second across every process that uses the same Redis and key.

    Tokens are taken from Redis in blocks of a fiftieth of a second's worth and handed out
    locally, so that a fast connection costs Redis tens of round trips a second, not one per
    submit_sm. A block a process takes and does not use is lost for that second: the
    connection then runs a little under its limit, never over it."""

    def __init__(self, redis_url: str, key: str, rate: int) -> None:
        uri = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
        self._storage = limits_storage.storage_from_string(uri, implementation="redispy")
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._item = RateLimitItemPerSecond(rate)
        self._key = key
        self._block = max(1, rate // 50)
        self._local = 0
        self._lock = asyncio.Lock()

    def try_acquire(self) -> bool:
        if self._local > 0 and not self._lock.locked():
            self._local -= 1
            return True
        return False  # a token from Redis is a round trip: acquire() waits for it

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served; one block taken at a time
            while self._local == 0:
                if await self._limiter.hit(self._item, "smpp-tps", self._key, cost=self._block):
                    self._local = self._block
                    break
                stats = await self._limiter.get_window_stats(self._item, "smpp-tps", self._key)
                await asyncio.sleep(min(1.0, max(0.001, stats.reset_time - time.time())))
            self._local -= 1


def throughput_for(name: str, rate: int, redis_url: str | None) -> Throughput:
    if redis_url:
        return SharedWindow(redis_url, name, rate)
    return TokenBucket(rate)
