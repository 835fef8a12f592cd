"""A business number's rate (messages per second): per process without Redis, in total
across every worker process when they share Redis (HERALD_REDIS_URL)."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
import redis

from herald.providers.whatsapp.pacing import pace_for

REDIS_URL = os.environ.get("HERALD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")


def _seconds_to_send(paces: list, each: int) -> float:  # type: ignore[type-arg]
    """Each pace (a worker process's) sends `each` messages from its own thread."""

    def send(pace: object) -> None:
        for _ in range(each):
            pace.wait()  # type: ignore[attr-defined]

    threads = [threading.Thread(target=send, args=(pace,)) for pace in paces]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return time.monotonic() - started


def test_without_redis_each_process_keeps_the_rate_on_its_own() -> None:
    number = uuid.uuid4().hex
    paces = [pace_for(number, 40, None), pace_for(number, 40, None)]
    # 30 each at 40/s: about three quarters of a second, side by side.
    assert _seconds_to_send(paces, 30) < 0.95


def test_processes_sharing_redis_keep_the_numbers_rate_in_total() -> None:
    _redis_or_skip()
    number = uuid.uuid4().hex
    paces = [pace_for(number, 40, REDIS_URL), pace_for(number, 40, REDIS_URL)]
    # 60 in all at 40/s in total: past the first second, not twice as fast.
    assert _seconds_to_send(paces, 30) > 1.0


def test_a_number_whose_redis_is_unreachable_still_sends_at_its_own_rate() -> None:
    pace = pace_for(uuid.uuid4().hex, 100, "redis://127.0.0.1:1/0")
    assert _seconds_to_send([pace], 50) < 10.0  # one try at Redis, then local pacing
