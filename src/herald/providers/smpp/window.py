"""Window and rate of one SMPP connection, on its event loop: how many submit_sm may await
their response (the window), how many a second (the TPS limit, shared across processes with
Redis), the pause after the SMSC throttles us, and how many answers may wait to be recorded
before another message starts (so that a crash leaves at most a window of them ambiguous).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from herald.kit import metrics
from herald.providers.smpp.plans import THROTTLE_PAUSE_MAX, THROTTLE_PAUSE_MIN
from herald.providers.smpp.throughput import Throughput


class NotSent(Exception):
    """The part never left: no slot, no token or no link before the deadline."""


async def before(deadline: float, waiting: Coroutine[Any, Any, Any]) -> None:
    """Await `waiting` until the loop time `deadline`; NotSent past it."""
    try:
        await asyncio.wait_for(waiting, max(0.0, deadline - asyncio.get_running_loop().time()))
    except TimeoutError as exc:
        raise NotSent from exc


class Window:
    def __init__(self, name: str, size: int, throughput: Throughput) -> None:
        self._name = name
        self.size = size
        self._slots = asyncio.Semaphore(size)
        self._throughput = throughput
        self.throttle_pause = 0.0
        self._paused_until = 0.0
        # Parts on the wire or answered whose answer is not recorded yet.
        self._unrecorded = 0
        self._room = asyncio.Event()  # set when answers are recorded

    async def room(self, deadline: float) -> None:
        """Wait until fewer than a window of answers wait to be recorded."""
        while self._unrecorded >= self.size:
            self._room.clear()
            await before(deadline, self._room.wait())

    def wired(self) -> None:
        self._unrecorded += 1

    def recorded(self, parts: int) -> None:
        self._unrecorded -= parts
        self._room.set()

    async def acquire(self, deadline: float) -> None:
        """A slot in the window and a token of the rate, after any throttling pause."""
        await self._wait_out_throttling(deadline)
        if self._slots.locked():
            await before(deadline, self._slots.acquire())
        else:
            await self._slots.acquire()  # free: no waiting, no timer
        try:
            if not self._throughput.try_acquire():
                await before(deadline, self._throughput.acquire())
        except NotSent:
            self._slots.release()
            raise

    def release(self) -> None:
        self._slots.release()

    def accepted(self) -> None:
        self.throttle_pause = 0.0

    def throttled(self) -> None:
        """The SMSC said slow down: pause sending, twice as long each time in a row."""
        metrics.smpp_throttled.labels(self._name).inc()
        self.throttle_pause = min(
            THROTTLE_PAUSE_MAX, max(THROTTLE_PAUSE_MIN, self.throttle_pause * 2)
        )
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + self.throttle_pause)

    async def _wait_out_throttling(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while (pause := self._paused_until - loop.time()) > 0:
            if loop.time() + pause > deadline:
                raise NotSent
            await asyncio.sleep(pause)
