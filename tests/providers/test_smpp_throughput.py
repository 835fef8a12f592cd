"""The TPS limit of a connection, in one process and shared through Redis."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
import redis

from herald.providers.smpp.throughput import SharedWindow, TokenBucket

REDIS_URL = os.environ.get("HERALD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")


def test_a_token_bucket_lets_through_its_rate_and_no_more() -> None:
    async def take(count: int) -> float:
        bucket = TokenBucket(200)
        started = time.monotonic()
        await asyncio.gather(*(bucket.acquire() for _ in range(count)))
        return time.monotonic() - started

    elapsed = asyncio.run(take(120))
    assert 0.45 < elapsed < 1.0  # 120 at 200/s, less the 20-token burst: about half a second


def test_two_processes_sharing_redis_share_one_limit() -> None:
    _redis_or_skip()
    key = f"test-{uuid.uuid4().hex}"

    async def take() -> float:
        first = SharedWindow(REDIS_URL, key, 40)
        second = SharedWindow(REDIS_URL, key, 40)
        started = time.monotonic()
        await asyncio.gather(*(w.acquire() for w in [first, second] * 30))
        return time.monotonic() - started

    # 60 acquisitions at 40 per second in total: past the first second, not twice as fast.
    assert asyncio.run(take()) > 0.9


def test_a_fast_shared_limit_takes_tokens_in_blocks_and_still_keeps_to_its_rate() -> None:
    _redis_or_skip()
    key = f"test-{uuid.uuid4().hex}"

    async def take() -> float:
        first = SharedWindow(REDIS_URL, key, 500)  # blocks of 10
        second = SharedWindow(REDIS_URL, key, 500)
        started = time.monotonic()
        for _ in range(400):  # 800 in all, as two connections' send loops would take them
            for window in (first, second):
                if not window.try_acquire():
                    await window.acquire()
        return time.monotonic() - started

    # 800 at 500 per second in total: the first 500 at once, the rest a second later.
    assert 0.9 < asyncio.run(take()) < 2.5
