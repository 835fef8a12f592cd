"""A SIP trunk as a voice provider (voice_base.VoiceProvider).

One asyncio loop in its own thread carries the trunk's signalling and the media of all its
calls; the dialer's thread hands calls over with place(), which waits (briefly) for the
trunk's first answer to each INVITE so that a refusal is known before the call counts as
placed: 5xx -> RETRY (not an attempt; the trunk is given no new call until its Retry-After
has passed), other 4xx -> REJECTED with the SIP code. Events go to the sink from a delivery
thread, retried until the sink takes them, as a carrier's callbacks are."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future

import structlog
from aiosipua import SipUAS

from herald.kit.clock import Clock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.journal import Entry, Journal
from herald.providers.sip.line import Line
from herald.providers.sip.outcome import Verdict
from herald.providers.sip.recovery import end_left_call, fate_of
from herald.providers.sip.rtp import Metronome
from herald.providers.sip.signalling import TrunkAgent, transport_for, user_agent
from herald.providers.sip.speech import Speech
from herald.providers.voice_base import (
    CallEvent,
    CallEventSink,
    CallFate,
    CallRef,
    CallRequest,
    FateKind,
    PlaceOutcome,
    PlaceResult,
)

log = structlog.get_logger(__name__)


class SipTrunkProvider:
    def __init__(self, config: TrunkConfig, clock: Clock) -> None:
        self.name = config.name
        self.config = config
        self._clock = clock
        cache = config.data_dir / "tts" if config.data_dir else None
        self._speech = Speech(cache)
        self._metronome = Metronome()
        self._journal = Journal(config.data_dir / "sip" / config.name if config.data_dir else None)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._uas: SipUAS | None = None
        self._agent: TrunkAgent | None = None
        self._lines: dict[uuid.UUID, Line] = {}
        self._by_sip_id: dict[str, Line] = {}
        self._slowed_until = 0.0  # monotonic: no new call before (after a 5xx)
        self._outbox: queue.Queue[CallEvent | None] = queue.Queue()
        self._sink: CallEventSink | None = None
        self._delivery: threading.Thread | None = None
        # The same trunk with its former settings, finishing the calls it carries.
        self._previous: SipTrunkProvider | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, events: CallEventSink) -> None:
        self._sink = events
        ready: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name=f"sip-{self.name}", daemon=True
        )
        self._thread.start()
        ready.result(timeout=10)
        self._delivery = threading.Thread(
            target=self._deliver_loop, name=f"sip-events-{self.name}", daemon=True
        )
        self._delivery.start()

    def _serve(self, ready: Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._open())
        except Exception:
            # A trunk that cannot be reached (TCP refused): no call goes over it; place()
            # answers "later" until a restart reaches it.
            log.exception("sip.trunk_unreachable", trunk=self.name)
            self._loop = None
            loop.close()
            ready.set_result(None)
            return
        ready.set_result(None)
        loop.run_forever()
        loop.run_until_complete(self._close())
        loop.close()

    async def _open(self) -> None:
        port = self._journal.last_port()
        try:
            await self._listen(port)
        except OSError:
            if not port:
                raise
            await self._listen(0)  # taken (another process): any port
        assert self._uas is not None and self._agent is not None
        transport = self._uas.transport
        if self.config.transport == "tcp":
            await transport.connect((self.config.host, self.config.port))  # type: ignore[attr-defined]
        bound = _bound_port(transport)
        self._agent.advertised_addr = (self.config.local_host, bound)
        self._journal.remember_port(bound)

    async def _listen(self, port: int) -> None:
        transport = transport_for(self.config.transport, (self.config.local_host, port))
        self._uas, self._agent = user_agent(transport, self._callee_hung_up, self.config.t1)
        await self._uas.start()

    async def _close(self) -> None:
        lines = list(self._lines.values())
        for line in lines:
            line.hang_up()
        deadline = time.monotonic() + 3.0
        while self._lines and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self._metronome.stop()
        if self._agent is not None:
            self._agent.stop_timers()
        if self._uas is not None:
            await self._uas.stop()
            await self._uas.transport.stop()

    def take_over(self, previous: SipTrunkProvider) -> None:
        """The trunk's settings changed: new calls go out with this provider's, the calls on
        the line finish on `previous` with the settings they started with (hang-ups of them
        are passed on to it), which closes once they all ended (retire_previous)."""
        self._previous = previous

    def retire_previous(self) -> None:
        previous = self._previous
        if previous is not None and previous.in_flight() == 0:
            self._previous = None
            previous.stop()

    def stop(self) -> None:
        """Hang up every call on the line (BYE, or CANCEL while ringing), then close."""
        if self._previous is not None:
            self._previous.stop()
            self._previous = None
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._outbox.put(None)
        if self._delivery is not None:
            self._delivery.join(timeout=10)

    # -- placing calls -----------------------------------------------------------------------

    def place(self, calls: Sequence[CallRequest]) -> list[PlaceResult]:
        if self._loop is None:
            return [PlaceResult(c.call_id, PlaceOutcome.RETRY) for c in calls]
        future = asyncio.run_coroutine_threadsafe(self._place(calls), self._loop)
        return future.result(timeout=self.config.first_answer_timeout + 10)

    async def _place(self, calls: Sequence[CallRequest]) -> list[PlaceResult]:
        results: dict[uuid.UUID, PlaceResult] = {}
        dialed: list[Line] = []
        for request in calls:
            refused = self._refuse(request)
            if refused is not None:
                results[request.call_id] = refused
                continue
            assert self._agent is not None
            line = Line(
                request,
                self.config,
                self._agent,
                self._speech,
                self._clock,
                self._report,
                self.name,
                self._journal,
                self._metronome,
            )
            await line.dial()
            self._lines[request.call_id] = line
            self._by_sip_id[line.sip_call_id] = line
            dialed.append(line)
        if dialed:
            await asyncio.wait(
                [line.first_answer for line in dialed], timeout=self.config.first_answer_timeout
            )
        for line in dialed:
            results[line.request.call_id] = self._placed(line)
        return [results[c.call_id] for c in calls]

    def _refuse(self, request: CallRequest) -> PlaceResult | None:
        """Per process, as a second fence: the dialer already counts channels and calls per
        second across processes in the database (voice/trunks.py)."""
        wait = self._slowed_until - time.monotonic()
        if wait > 0:
            return PlaceResult(request.call_id, PlaceOutcome.RETRY, retry_after_seconds=wait)
        if len(self._lines) >= self.config.max_channels:
            return PlaceResult(request.call_id, PlaceOutcome.RETRY, error_code="SIP_TRUNK_FULL")
        return None

    def _placed(self, line: Line) -> PlaceResult:
        call_id = line.request.call_id
        first = line.first_answer.result() if line.first_answer.done() else None
        if first is not None and first.verdict in (Verdict.RETRY, Verdict.FAILED):
            self._forget(line)
            line.discard()
            if first.verdict is Verdict.FAILED:
                return PlaceResult(call_id, PlaceOutcome.REJECTED, error_code=first.error_code)
            self._slowed_until = time.monotonic() + line.retry_after
            log.warning("sip.trunk_slowed", trunk=self.name, seconds=line.retry_after)
            return PlaceResult(
                call_id,
                PlaceOutcome.RETRY,
                error_code=first.error_code,
                retry_after_seconds=line.retry_after,
            )
        task = asyncio.get_running_loop().create_task(line.run())
        task.add_done_callback(lambda _: self._forget(line))
        return PlaceResult(call_id, PlaceOutcome.ACCEPTED, line.sip_call_id)

    def _forget(self, line: Line) -> None:
        self._lines.pop(line.request.call_id, None)
        self._by_sip_id.pop(line.sip_call_id, None)

    def _callee_hung_up(self, sip_call_id: str) -> None:
        line = self._by_sip_id.get(sip_call_id)
        if line is not None:
            line.callee_hung_up()

    # -- hanging up, and after a restart -------------------------------------------------------

    def hang_up(self, call_ids: Sequence[uuid.UUID]) -> None:
        """End these calls now: BYE when answered, CANCEL while ringing."""
        if self._previous is not None:
            self._previous.hang_up(call_ids)
        loop = self._loop
        if loop is None:
            return
        for call_id in call_ids:
            line = self._lines.get(call_id)
            if line is not None:
                loop.call_soon_threadsafe(line.hang_up)

    def recover(self, calls: Sequence[CallRef]) -> list[CallFate]:
        """Calls this process carries are UP; the calls a previous process of this node left
        on the line are ended from its journal (recovery.py): BYE when answered, CANCEL when
        ringing; a call with no journal entry is UNKNOWN."""
        if self._loop is None:
            return []  # the trunk is unreachable: left to their lease
        future = asyncio.run_coroutine_threadsafe(self._recover(calls), self._loop)
        return future.result(timeout=30)

    async def _recover(self, calls: Sequence[CallRef]) -> list[CallFate]:
        assert self._agent is not None
        fates: dict[uuid.UUID, CallFate] = {}
        left: list[Entry] = []
        for ref in calls:
            entry = None if ref.call_id in self._lines else self._journal.read(ref.call_id)
            if entry is not None:
                left.append(entry)
            else:
                up = ref.call_id in self._lines
                fates[ref.call_id] = CallFate(ref.call_id, FateKind.UP if up else FateKind.UNKNOWN)
        answers = await asyncio.gather(
            *(end_left_call(self._agent, entry) for entry in left), return_exceptions=True
        )
        now = self._clock.now()
        for entry, answer in zip(left, answers, strict=True):
            log.info("sip.recovered_call", trunk=self.name, call_id=entry.call_id, answer=answer)
            fate = fate_of(self.name, entry, now)
            fates[fate.call_id] = fate
            self._journal.remove(entry.call_id)
        return [fates[ref.call_id] for ref in calls]

    # -- what tests look at --------------------------------------------------------------------

    def in_flight(self) -> int:
        return len(self._lines)

    def line(self, call_id: uuid.UUID) -> Line | None:
        return self._lines.get(call_id)

    # -- reporting -----------------------------------------------------------------------------

    def _report(self, event: CallEvent) -> None:
        if event.retry_after_seconds is not None:  # a 5xx after 100/180: slow down as well
            self._slowed_until = time.monotonic() + event.retry_after_seconds
        self._outbox.put(event)

    def _deliver_loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._outbox.get()
            batch = [first] if first is not None else []
            stopping = first is None
            while not self._outbox.empty() and len(batch) < 500:
                more = self._outbox.get_nowait()
                if more is None:
                    stopping = True
                else:
                    batch.append(more)
            while batch and not self._deliver(batch) and not stopping:
                time.sleep(1.0)

    def _deliver(self, batch: list[CallEvent]) -> bool:
        assert self._sink is not None
        try:
            self._sink(batch)
            return True
        except Exception:
            log.exception("sip.event_sink_failed", trunk=self.name, count=len(batch))
            return False


def _bound_port(transport: object) -> int:
    udp = getattr(transport, "_udp_transport", None)
    if udp is not None:
        return int(udp.get_extra_info("sockname")[1])
    server = getattr(transport, "_server", None)
    assert server is not None and server.sockets
    return int(server.sockets[0].getsockname()[1])
