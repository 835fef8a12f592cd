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
    """A re-entrant lock whose urgent waiters go first."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._urgent_waiting = 0

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        urgent = urgent_writes.get()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return True
            if urgent:
                self._urgent_waiting += 1
            try:
                free = self._changed.wait_for(
                    lambda: self._owner is None and (urgent or self._urgent_waiting == 0),
                    timeout,
                )
            finally:
                if urgent:
                    self._urgent_waiting -= 1
                    self._changed.notify_all()  # background waiters may go now
            if not free:
                return False
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._changed:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._changed.notify_all()
