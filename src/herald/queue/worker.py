"""A worker loop: run one step of work again and again, sleep a little when idle.

Each step claims its own rows with a lease (see claim.py), so any number of loops in any
number of processes can run the same step side by side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

Step = Callable[[], int]  # does some work; returns how many items it handled


class WorkerLoop:
    def __init__(self, name: str, step: Step, idle_seconds: float) -> None:
        self.name = name
        self._step = step
        self._idle = idle_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New work was just committed: skip the rest of the idle wait."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self._step()
            except Exception:
                log.exception("worker.step_failed", worker=self.name)
                handled = 0
            if handled == 0:
                self._wake.wait(self._idle)
                self._wake.clear()
