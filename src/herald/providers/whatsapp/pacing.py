"""The business number's throughput (messages per second), shared by the threads that
send, with a hold for everyone in this process when Meta says we went too fast (130429).

With Redis configured (HERALD_REDIS_URL), every worker process sending from the same number
also takes each send's place from one counter in Redis (herald.kit.shared_rate), so Meta
sees the number's rate in total and not once per process. Without it the rate holds per
process."""

from __future__ import annotations

import threading
import time

from herald.kit.shared_rate import SharedRate


class Pace:
    def __init__(self, rate: float, shared: SharedRate | None = None) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self._shared = shared

    def wait(self) -> None:
        """Block until this send's turn: sends leave evenly spaced, `rate` a second (in
        all the processes together when the rate is shared)."""
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next)
            self._next = turn + self._interval
        delay = turn - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if self._shared is not None:
            self._shared.take()

    def hold(self, seconds: float) -> None:
        """Nobody in this process sends for `seconds` (Meta answered 130429)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


def pace_for(number: str, rate: float, redis_url: str | None) -> Pace:
    """The pace of one business number (its phone number id), shared through Redis if set."""
    shared = SharedRate(redis_url, "whatsapp-rate", number, rate) if redis_url else None
    return Pace(rate, shared)
