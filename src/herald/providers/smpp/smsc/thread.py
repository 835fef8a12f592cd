"""Running the test SMSC on an event loop of its own, in a thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Collection
from typing import TypeVar

from herald.providers.smpp.smsc.server import Smsc, SmscBehaviour

T = TypeVar("T")


class SmscThread:
    def __init__(self, behaviour: SmscBehaviour | None = None, host: str = "127.0.0.1") -> None:
        self.behaviour = behaviour or SmscBehaviour()
        self._host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smsc", daemon=True)
        self.smsc: Smsc | None = None

    @property
    def port(self) -> int:
        assert self.smsc is not None
        return self.smsc.port

    def start(self, port: int = 0) -> int:
        self._thread.start()

        async def begin() -> Smsc:
            smsc = Smsc(self.behaviour, self._host, port)
            await smsc.start()
            return smsc

        self.smsc = self.run(begin)
        return self.smsc.port

    def run(self, make: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
        """Run a coroutine on the SMSC's loop and wait for its result."""

        async def wrapped() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout)

    def send_mo(
        self,
        source: str,
        destination: str,
        text: str,
        parts: Collection[int] | None = None,
        reference: int | None = None,
    ) -> None:
        assert self.smsc is not None
        smsc = self.smsc
        self.run(lambda: smsc.send_mo(source, destination, text, parts, reference))

    def drop_links(self) -> None:
        assert self.smsc is not None
        self.run(self.smsc.drop_links)

    def stop(self) -> None:
        if self.smsc is not None:
            self.run(self.smsc.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
