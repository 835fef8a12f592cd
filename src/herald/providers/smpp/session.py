"""Staying bound to the SMSC: bind (one transceiver, or a transmitter and a receiver),
notice when a link closes, bind again with backoff and jitter, unbind on stop."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable

import structlog

from herald.kit import metrics
from herald.providers.smpp import codec
from herald.providers.smpp.config import SmppConfig
from herald.providers.smpp.link import BindRefused, Credentials, Link, LinkClosed, Timers

log = structlog.get_logger(__name__)

OnRequest = Callable[[Link, codec.Pdu], Awaitable[None]]


class Session:
    def __init__(self, config: SmppConfig, on_request: OnRequest) -> None:
        self.config = config
        self.name = config.name
        self._on_request = on_request
        self.tx: Link | None = None  # submits go out here
        self.rx: Link | None = None  # deliveries come in here (the same link: transceiver)
        self.bound = False
        self.stopping = False
        self._bound_event: asyncio.Event | None = None

    async def stay_bound(self) -> None:
        delay = self.config.reconnect_min
        while not self.stopping:
            try:
                await self._bind()
            except (OSError, TimeoutError, BindRefused, LinkClosed) as exc:
                metrics.smpp_binds.labels(self.name, "failed").inc()
                log.warning("smpp.bind_failed", connection=self.name, reason=str(exc) or repr(exc))
            else:
                metrics.smpp_binds.labels(self.name, "bound").inc()
                log.info("smpp.bound", connection=self.name, mode=self.config.bind_mode)
                delay = self.config.reconnect_min
                self._set_bound(True)
                await self._until_a_link_closes()
                log.warning("smpp.unbound", connection=self.name)
            self._set_bound(False)
            for link in (self.tx, self.rx):
                if link is not None:
                    link.close()
            if self.stopping:
                return
            # Back off with jitter so that many workers do not reconnect in step.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.config.reconnect_max)

    async def wait_bound(self, timeout: float) -> None:
        if self.bound:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event().wait(), timeout)

    def _event(self) -> asyncio.Event:
        if self._bound_event is None:  # made on the loop, which it belongs to
            self._bound_event = asyncio.Event()
        return self._bound_event

    async def unbind(self) -> None:
        links = {link for link in (self.tx, self.rx) if link is not None}
        await asyncio.gather(*(link.unbind() for link in links), return_exceptions=True)
        self._set_bound(False)

    def _set_bound(self, bound: bool) -> None:
        self.bound = bound
        if bound:
            self._event().set()
        else:
            self._event().clear()
        metrics.smpp_bound.labels(self.name).set(int(bound))

    async def _bind(self) -> None:
        config = self.config
        credentials = Credentials(config.system_id, config.password, config.system_type)
        timers = Timers(config.response_timeout, config.enquire_link)

        async def open_link(command: str, label: str) -> Link:
            return await Link.open(
                config.host, config.port, command, credentials, self._on_request, timers, label
            )

        if config.bind_mode == "transmitter+receiver":
            self.tx = await open_link("bind_transmitter", f"{self.name}:tx")
            try:
                self.rx = await open_link("bind_receiver", f"{self.name}:rx")
            except BaseException:
                self.tx.close()
                raise
        else:
            self.tx = self.rx = await open_link("bind_transceiver", f"{self.name}:trx")

    async def _until_a_link_closes(self) -> None:
        waits = {
            asyncio.ensure_future(link.closed.wait())
            for link in {self.tx, self.rx}
            if link is not None
        }
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in pending:
            waiting.cancel()
