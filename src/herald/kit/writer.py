"""The turn to write in SQLite, inside one process.

SQLite has one writer. Threads of a process queue for it here, where the next one is woken
the moment the turn is free, instead of in SQLite's busy handler, which sleeps up to 100 ms
between tries and lets a waiter lose the race again and again (a request then waited over a
second behind transactions of tens of milliseconds). A thread serving an HTTP request marks
itself urgent (`urgent_writes`): when the turn comes free it goes before background work,
so that a request waits for at most the one transaction in progress, not for a queue of
worker batches. Background work catches up as soon as no request is waiting.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar

# Set for the duration of an HTTP request (see herald.app); copied into the threads that
# serve it.
urgent_writes: ContextVar[bool] = ContextVar("urgent_writes", default=False)


class WriterTurn:
    """A re-entrant lock whose urgent waiters go first. Each release wakes one waiter (an
    urgent one if any waits), not all of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._urgent = threading.Condition(self._lock)
        self._background = threading.Condition(self._lock)
        self._owner: int | None = None
        self._depth = 0
        self._urgent_waiting = 0

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:
                self._depth += 1
                return True
            if urgent_writes.get():
                self._urgent_waiting += 1
                try:
                    free = self._urgent.wait_for(lambda: self._owner is None, timeout)
                finally:
                    self._urgent_waiting -= 1
            else:
                free = self._background.wait_for(
                    lambda: self._owner is None and self._urgent_waiting == 0, timeout
                )
            if not free:
                self._wake_next()  # pass on a wake-up this waiter may have taken
                return False
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._wake_next()

    def _wake_next(self) -> None:
        if self._owner is not None:
            return
        if self._urgent_waiting:
            self._urgent.notify()
        else:
            self._background.notify()
