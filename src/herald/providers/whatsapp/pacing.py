"""The business number's throughput (messages per second), shared by the threads that
send, with a hold for everyone when Meta says we went too fast (130429)."""

from __future__ import annotations

import threading
import time


class Pace:
    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this send's turn: sends leave evenly spaced, `rate` a second."""
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next)
            self._next = turn + self._interval
        delay = turn - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def hold(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Meta answered 130429)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)
