"""One TCP connection bound to an SMSC (an SMPP 3.4 session, ESME side).

The link numbers the requests it sends and matches each response to its request by sequence
number; it answers the SMSC's own requests (enquire_link, unbind, deliver_sm through a
callback); it probes an idle peer with enquire_link and closes itself when the peer stops
answering. Anything waiting on a response when the link closes gets LinkClosed: the caller
decides what an unanswered request means.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from herald.providers.smpp import codec
from herald.providers.smpp.codec import Pdu

log = structlog.get_logger(__name__)

MAX_SEQUENCE = 0x7FFFFFFF
BIND_COMMANDS = ("bind_transceiver", "bind_transmitter", "bind_receiver")

RequestHandler = Callable[["Link", Pdu], Awaitable[None]]


def _expire(future: asyncio.Future[Pdu]) -> None:
    if not future.done():
        future.set_exception(TimeoutError("no response"))


def _retrieve(future: asyncio.Future[Pdu]) -> None:
    if not future.cancelled():
        future.exception()


class LinkClosed(ConnectionError):
    """The link went away before the response came."""


class BindRefused(ConnectionError):
    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused: {codec.status_name(status)}")
        self.status = status


@dataclass(frozen=True, slots=True)
class Credentials:
    system_id: str
    password: str
    system_type: str = ""


@dataclass(frozen=True, slots=True)
class Timers:
    response_timeout: float = 10.0  # seconds a request may wait for its response
    enquire_link: float = 30.0  # seconds of silence before we probe the peer


class Link:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_request: RequestHandler,
        timers: Timers,
        label: str,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_request = on_request
        self._timers = timers
        self.label = label
        self._sequence = 0
        self._waiting: dict[int, asyncio.Future[Pdu]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._last_heard = asyncio.get_running_loop().time()
        self.closed = asyncio.Event()

    # -- opening and closing ----------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        bind: str,
        credentials: Credentials,
        on_request: RequestHandler,
        timers: Timers,
        label: str,
    ) -> Link:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timers.response_timeout
        )
        link = cls(reader, writer, on_request, timers, label)
        link._tasks = [
            asyncio.create_task(link._read_loop(), name=f"{label}:read"),
            asyncio.create_task(link._keepalive(), name=f"{label}:keepalive"),
        ]
        try:
            response = await link.request(
                bind,
                system_id=credentials.system_id,
                password=credentials.password,
                system_type=credentials.system_type,
                interface_version=0x34,
            )
        except BaseException:
            link.close()
            raise
        if response.status != codec.ESME_ROK:
            link.close()
            raise BindRefused(response.status)
        return link

    async def unbind(self) -> None:
        """Say goodbye (unbind, wait briefly for unbind_resp), then close."""
        if not self.closed.is_set():
            with contextlib.suppress(LinkClosed, TimeoutError, OSError):
                await asyncio.wait_for(self.request("unbind"), 2.0)
        self.close()

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(LinkClosed(self.label))
        self._waiting.clear()
        self._writer.close()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    # -- sending ----------------------------------------------------------------------------

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % MAX_SEQUENCE + 1
        return self._sequence

    def send(self, command: str, **fields: Any) -> asyncio.Future[Pdu]:
        """Write a request now. The future resolves with its response, or fails with
        TimeoutError after the response timeout, or with LinkClosed."""
        if self.closed.is_set() or self._writer.is_closing():
            raise LinkClosed(self.label)
        return self.send_encoded(codec.encode(command, self._next_sequence(), **fields))

    def send_encoded(self, pdu: bytes) -> asyncio.Future[Pdu]:
        """`send` for a request encoded by the caller with `next_sequence()`."""
        if self.closed.is_set() or self._writer.is_closing():
            raise LinkClosed(self.label)
        sequence = codec.header_of(pdu)[3]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Pdu] = loop.create_future()
        self._waiting[sequence] = future
        # One timer per request (cheaper than a wait_for task when thousands are in flight).
        timer = loop.call_later(self._timers.response_timeout, _expire, future)

        def done(_: asyncio.Future[Pdu]) -> None:
            timer.cancel()
            self._waiting.pop(sequence, None)

        future.add_done_callback(done)
        future.add_done_callback(_retrieve)  # a failure nobody awaits is not worth a warning
        self._writer.write(pdu)
        return future

    def next_sequence(self) -> int:
        return self._next_sequence()

    async def request(self, command: str, **fields: Any) -> Pdu:
        """Send and wait for the response; TimeoutError after the response timeout."""
        future = self.send(command, **fields)
        await self.drain()
        return await future

    async def drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self.close()
            raise LinkClosed(self.label) from exc

    def respond(self, request: Pdu, status: int = codec.ESME_ROK, **fields: Any) -> None:
        """Answer one of the SMSC's requests (same sequence number)."""
        if self.closed.is_set():
            return  # the SMSC will send it again on the next bind
        command = "generic_nack" if request.command == "generic_nack" else request.command + "_resp"
        self._writer.write(codec.encode(command, request.sequence, status, **fields))

    # -- receiving --------------------------------------------------------------------------

    async def _read_frame(self) -> bytes:
        head = await self._reader.readexactly(4)
        length = int.from_bytes(head, "big")
        if not 16 <= length <= codec.MAX_PDU_LENGTH:
            raise ConnectionError(f"PDU length {length} out of range")
        return head + await self._reader.readexactly(length - 4)

    async def _read_loop(self) -> None:
        try:
            while True:
                frame = await self._read_frame()
                self._last_heard = asyncio.get_running_loop().time()
                await self._handle(frame)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            log.info("smpp.link_lost", link=self.label, reason=str(exc) or type(exc).__name__)
        finally:
            self.close()

    async def _handle(self, frame: bytes) -> None:
        try:
            pdu = codec.decode(frame)
        except codec.CodecError as exc:
            _, _, _, sequence = codec.header_of(frame)
            log.warning("smpp.undecodable_pdu", link=self.label, error=str(exc))
            self._writer.write(codec.encode("generic_nack", sequence, codec.ESME_RINVCMDID))
            return
        if pdu.is_response:
            future = self._waiting.get(pdu.sequence)
            if future is not None and not future.done():
                future.set_result(pdu)
            else:
                log.warning("smpp.late_response", link=self.label, command=pdu.command)
        elif pdu.command == "enquire_link":
            self.respond(pdu)
        elif pdu.command == "unbind":
            self.respond(pdu)
            await self.drain()
            self.close()
        else:
            await self._on_request(self, pdu)

    async def _keepalive(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self._timers.enquire_link
        while not self.closed.is_set():
            await asyncio.sleep(max(0.05, self._last_heard + interval - loop.time()))
            if loop.time() - self._last_heard < interval:
                continue
            try:
                await self.request("enquire_link")
            except (TimeoutError, LinkClosed):
                log.warning("smpp.peer_silent", link=self.label)
                self.close()
                return
