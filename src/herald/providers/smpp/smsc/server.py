"""A test SMSC: an SMPP 3.4 server that behaves like a carrier, for tests, benchmarks and
for trying the SMPP path locally (`herald simulator smsc --port P`).

It accepts binds (transceiver, transmitter, receiver), answers submit_sm with a message id,
and sends a delivery receipt (deliver_sm) after a delay. Outcomes follow the built-in
simulator's rule on the last four digits of the destination (0666 refused at submit, 0997
FAILED, 0998 EXPIRED, 0999 UNDELIVERED). `SmscBehaviour` makes it misbehave on purpose:
throttling, dropped links, unanswered submits, receipts before responses, ids in decimal.

Its PDUs are smpp.pdu3's (see pdus.py), never Herald's own SMPP code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from herald.providers.simulator import REJECTED_SUFFIX
from herald.providers.smpp.smsc import pdus

log = structlog.get_logger(__name__)

# Receipt "stat" and "err" by the last four digits of the destination.
_OUTCOME_BY_SUFFIX = {
    "0997": ("DELETED", "002"),
    "0998": ("EXPIRED", "003"),
    "0999": ("UNDELIV", "001"),
}


@dataclass
class SmscBehaviour:
    receipt_delay: float = 0.05  # seconds between accepting a message and its receipt
    id_format: str = "hex"  # how submit_sm_resp writes message ids: "hex" or "decimal"
    receipt_id_format: str | None = None  # the receipt text's id format (None: the same)
    receipt_tlv: bool = True  # receipted_message_id and message_state TLVs in receipts
    receipt_before_response: bool = False  # the receipt goes out before the submit_sm_resp
    throttle_every: int = 0  # answer ESME_RTHROTTLED to every n-th submit_sm (0: never)
    max_tps: int = 0  # answer ESME_RTHROTTLED beyond this many submit_sm a second (0: no cap)
    # The n-th submit_sm (counted from 1 over the SMSC's life) closes the connection
    # before it is accepted: it was never taken, the client must send it again.
    drop_at: frozenset[int] = frozenset()
    # The n-th submit_sm is accepted (it will be delivered) but never answered.
    swallow_at: frozenset[int] = frozenset()
    system_id: str | None = None  # None: any account may bind
    password: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: str
    number: int  # the how-many-th submit_sm this was
    source: str
    destination: str
    data_coding: int
    esm_class: int
    concat: tuple[int, int, int] | None
    text: str


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """A deliver_sm the SMSC owes a bound ESME: a receipt or a mobile-originated part."""

    build: object  # (sequence) -> pdu
    label: str


@dataclass
class Smsc:
    behaviour: SmscBehaviour = field(default_factory=SmscBehaviour)
    host: str = "127.0.0.1"
    port: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    submits: int = 0  # submit_sm received, including refused and dropped ones
    binds: Counter[str] = field(default_factory=Counter)
    receipts_acknowledged: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(0x10000 + 1)
        self._sessions: set[_Session] = set()
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._second = 0
        self._this_second = 0

    # -- life --------------------------------------------------------------------------------

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._tasks.append(asyncio.create_task(self._deliver_forever()))
        return self.port

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions):
            session.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def drop_links(self) -> None:
        """Close every connection at once, as a carrier's restart would."""
        for session in list(self._sessions):
            session.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(self, reader, writer)
        self._sessions.add(session)
        try:
            await session.run()
        finally:
            self._sessions.discard(session)
            session.close()

    # -- what tests look at ------------------------------------------------------------------

    def accepted_to(self, destination: str) -> list[Accepted]:
        return [a for a in self.accepted if a.destination == destination]

    def texts(self) -> dict[str, list[str]]:
        """The whole texts each destination got (concatenated parts joined)."""
        found: dict[str, list[str]] = {}
        parts: dict[tuple[str, int, int], dict[int, str]] = {}
        for item in self.accepted:
            if item.concat is None:
                found.setdefault(item.destination, []).append(item.text)
                continue
            reference, total, number = item.concat
            waiting = parts.setdefault((item.destination, reference, total), {})
            waiting[number] = item.text
            if len(waiting) == total:
                whole = "".join(waiting[n] for n in sorted(waiting))
                found.setdefault(item.destination, []).append(whole)
        return found

    # -- submit_sm ---------------------------------------------------------------------------

    def take_submit(self, request: pdus.PDU) -> tuple[str, Accepted | None]:
        """Decide about one submit_sm: (status name, what was accepted)."""
        self.submits += 1
        number = self.submits
        destination = pdus.text(request.params["destination_addr"])
        if self._throttled(number):
            return "ESME_RTHROTTLED", None
        if destination.endswith(REJECTED_SUFFIX):
            return "ESME_RINVDSTADR", None
        concat, body = pdus.short_message(request)
        value = next(self._ids)
        message_id = format(value, "X") if self.behaviour.id_format == "hex" else str(value)
        accepted = Accepted(
            message_id,
            number,
            pdus.text(request.params["source_addr"]),
            destination,
            pdus.data_coding_number(request),
            0x40 if request.params["esm_class"].gsmFeatures else 0,
            concat,
            body,
        )
        self.accepted.append(accepted)
        return "ESME_ROK", accepted

    def _throttled(self, number: int) -> bool:
        every = self.behaviour.throttle_every
        if every and number % every == 0:
            return True
        if self.behaviour.max_tps:
            second = int(time.monotonic())
            if second != self._second:
                self._second, self._this_second = second, 0
            self._this_second += 1
            return self._this_second > self.behaviour.max_tps
        return False

    # -- deliver_sm --------------------------------------------------------------------------

    def receipt_for(self, accepted: Accepted) -> _Outgoing:
        stat, err = _OUTCOME_BY_SUFFIX.get(accepted.destination[-4:], ("DELIVRD", "000"))
        text_id = accepted.message_id
        wanted = self.behaviour.receipt_id_format
        if wanted and wanted != self.behaviour.id_format:
            value = int(accepted.message_id, 16 if self.behaviour.id_format == "hex" else 10)
            text_id = format(value, "X") if wanted == "hex" else str(value)
        at = datetime.now(UTC)
        tlv = self.behaviour.receipt_tlv

        def build(sequence: int) -> pdus.PDU:
            return pdus.receipt(
                sequence,
                accepted.destination,
                accepted.source,
                accepted.message_id,
                stat,
                err,
                text_id=text_id,
                with_tlv=tlv,
                at=at,
            )

        return _Outgoing(build, f"receipt {accepted.message_id}")

    def owe(self, outgoing: _Outgoing, delay: float) -> None:
        loop = asyncio.get_running_loop()
        if delay <= 0:
            self._outbox.put_nowait(outgoing)
        else:
            loop.call_later(delay, self._outbox.put_nowait, outgoing)

    async def send_mo(
        self,
        source: str,
        destination: str,
        text: str,
        parts: Collection[int] | None = None,
        reference: int | None = None,
    ) -> None:
        """A person writes to `destination` (our number or sender ID). `parts` sends only
        those parts of a long text (the others can follow in a later call that names the
        same `reference`)."""
        payload, ucs2 = pdus.encode_text(text)
        size = 134 if len(payload) > (140 if ucs2 else 160) else len(payload) or 1
        chunks = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
        reference = (next(self._ids) if reference is None else reference) & 0xFF
        for number, chunk in enumerate(chunks, start=1):
            if parts is not None and number not in parts:
                continue
            udh = b"" if len(chunks) == 1 else bytes((5, 0, 3, reference, len(chunks), number))

            def build(sequence: int, chunk: bytes = chunk, udh: bytes = udh) -> pdus.PDU:
                return pdus.mobile_originated(sequence, source, destination, chunk, ucs2, udh)

            self._outbox.put_nowait(_Outgoing(build, f"mo from {source}"))

    async def _deliver_forever(self) -> None:
        slots = asyncio.Semaphore(1000)
        while True:
            outgoing = await self._outbox.get()
            await slots.acquire()
            task = asyncio.create_task(self._deliver(outgoing))
            task.add_done_callback(lambda _: slots.release())

    async def _deliver(self, outgoing: _Outgoing) -> None:
        receivers = [s for s in self._sessions if s.can_receive]
        if not receivers:
            await asyncio.sleep(0.2)  # keep it until someone binds, as an SMSC does
            self._outbox.put_nowait(outgoing)
            return
        session = min(receivers, key=lambda s: s.outstanding)
        delivered = await session.deliver(outgoing)
        if delivered:
            self.receipts_acknowledged += 1
        else:
            await asyncio.sleep(0.5)
            self._outbox.put_nowait(outgoing)


class _Session:
    """One ESME connection."""

    def __init__(
        self, smsc: Smsc, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._smsc = smsc
        self._reader = reader
        self._writer = writer
        self.bound_as: str | None = None
        self._sequence = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[pdus.PDU]] = {}
        self._closed = False
        self._dropping = False

    @property
    def can_receive(self) -> bool:
        return (
            not self._closed
            and not self._dropping
            and self.bound_as in ("bind_transceiver", "bind_receiver")
        )

    @property
    def outstanding(self) -> int:
        return len(self._waiting)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        for future in self._waiting.values():
            if not future.done():
                future.cancel()

    def write(self, pdu: pdus.PDU) -> None:
        if not self._closed:
            self._writer.write(pdus.encode(pdu))

    async def run(self) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, OSError):
            while not self._closed:
                head = await self._reader.readexactly(4)
                length = int.from_bytes(head, "big")
                frame = head + await self._reader.readexactly(length - 4)
                self._handle(pdus.decode(frame))
                await self._writer.drain()
                if self._dropping:
                    await self._hang_up()

    async def _hang_up(self) -> None:
        """Drop the link the way a failing SMSC does, but without losing what it already
        answered: half-close, ignore whatever else arrives, then close. (A close with unread
        input would reset the connection and could destroy answers still in flight.)"""
        self._writer.write_eof()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._discard_input(), 2.0)
        self.close()

    async def _discard_input(self) -> None:
        while await self._reader.read(65536):
            pass

    def _handle(self, pdu: pdus.PDU) -> None:
        name = pdus.command(pdu)
        if name.endswith("_resp") or name == "generic_nack":
            future = self._waiting.pop(pdu.seqNum, None)
            if future is not None and not future.done():
                future.set_result(pdu)
        elif name.startswith("bind_"):
            self._bind(pdu, name)
        elif self.bound_as is None:
            self.write(pdus.generic_nack(pdu.seqNum, "ESME_RINVBNDSTS"))
        elif name == "submit_sm":
            self._submit(pdu)
        elif name == "enquire_link":
            self.write(pdus.response(pdu))
        elif name == "unbind":
            self.write(pdus.response(pdu))
            self._closed = True
            self._writer.close()
        else:
            self.write(pdus.generic_nack(pdu.seqNum, "ESME_RINVCMDID"))

    def _bind(self, pdu: pdus.PDU, name: str) -> None:
        wanted = self._smsc.behaviour
        system_id = pdus.text(pdu.params["system_id"])
        password = pdus.text(pdu.params["password"])
        if (wanted.system_id is not None and system_id != wanted.system_id) or (
            wanted.password is not None and password != wanted.password
        ):
            self.write(pdus.response(pdu, "ESME_RBINDFAIL"))
            return
        self.bound_as = name
        self._smsc.binds[name] += 1
        self.write(pdus.response(pdu, system_id="HERALD-SMSC"))

    def _submit(self, pdu: pdus.PDU) -> None:
        smsc = self._smsc
        number = smsc.submits + 1
        if number in smsc.behaviour.drop_at:
            smsc.submits += 1
            log.info("smsc.dropping_link", submit=number)
            self._dropping = True
            return
        status, accepted = smsc.take_submit(pdu)
        if accepted is None:
            self.write(pdus.response(pdu, status))
            return
        receipt = smsc.receipt_for(accepted)
        if smsc.behaviour.receipt_before_response and self.can_receive:
            self._send_before_response(receipt)
        else:
            smsc.owe(receipt, smsc.behaviour.receipt_delay)
        if number not in smsc.behaviour.swallow_at:
            self.write(pdus.response(pdu, message_id=accepted.message_id))

    def _send_before_response(self, outgoing: _Outgoing) -> None:
        # Written now, ahead of the submit_sm_resp; redelivered later if not acknowledged.
        future = self._send(outgoing)

        async def settle() -> None:
            if not await self._acknowledged(future):
                self._smsc.owe(outgoing, 0.5)

        asyncio.get_running_loop().create_task(settle())

    def _send(self, outgoing: _Outgoing) -> asyncio.Future[pdus.PDU]:
        sequence = next(self._sequence)
        future: asyncio.Future[pdus.PDU] = asyncio.get_running_loop().create_future()
        self._waiting[sequence] = future
        future.add_done_callback(lambda _: self._waiting.pop(sequence, None))
        self.write(outgoing.build(sequence))  # type: ignore[operator]
        return future

    async def deliver(self, outgoing: _Outgoing) -> bool:
        """Send one deliver_sm and wait for its deliver_sm_resp; True if acknowledged."""
        if self._closed:
            return False
        return await self._acknowledged(self._send(outgoing))

    async def _acknowledged(self, future: asyncio.Future[pdus.PDU]) -> bool:
        try:
            response = await asyncio.wait_for(future, 5.0)
        except (TimeoutError, asyncio.CancelledError):
            return False
        return bool(response.status == pdus.status("ESME_ROK"))
