"""An SMPP 3.4 carrier connection (Herald as ESME), behind the Provider protocol.

The SMPP session runs on an asyncio loop in a thread of its own. `submit` is called from a
dispatch worker thread: it hands the batch to the loop and waits. On the loop, every part of
every message waits for a slot in the window (submit_sm awaiting their response) and for the
TPS limit, then goes out; the answers decide the message:

- every part accepted                   -> ACCEPTED under the carrier id of part 1
- a part refused for good               -> REJECTED with the SMPP status as error code
- a part throttled (RTHROTTLED/RMSGQFUL) -> the connection slows down; RETRY later. Parts
                                           already accepted are stored and not sent again.
- a part without answer (link dropped,  -> RETRY: the outcome is unknown, so the part is sent
  response timed out)                      again when the link is back (at least once), and
                                           that resend is counted (metric + resends column)

Receipts and mobile-originated messages (deliver_sm) are stored in batches before they are
acknowledged, so an SMSC whose deliver_sm got no answer sends it again: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import structlog

from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.base import (
    InboundSink,
    ReceiptSink,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from herald.providers.smpp import codec, ledger
from herald.providers.smpp.addresses import destination_address, source_address
from herald.providers.smpp.books import Books, Settlement
from herald.providers.smpp.config import SmppConfig
from herald.providers.smpp.link import BindRefused, Credentials, Link, LinkClosed, Timers
from herald.providers.smpp.segments import Part, segment
from herald.providers.smpp.throughput import Throughput, throughput_for

log = structlog.get_logger(__name__)

_THROTTLE_PAUSE_MIN = 0.2
_THROTTLE_PAUSE_MAX = 5.0
_DELIVERY_BATCH = 500


class _NotSent(Exception):
    """The part never left: no slot, no token or no link before the deadline."""


async def _before(deadline: float, waiting: Coroutine[Any, Any, Any]) -> None:
    try:
        await asyncio.wait_for(waiting, max(0.0, deadline - asyncio.get_running_loop().time()))
    except TimeoutError as exc:
        raise _NotSent from exc


@dataclass(frozen=True, slots=True)
class _Answer:
    carrier_id: str | None = None  # set when accepted
    status: int | None = None  # SMPP status of a refusal
    sent: bool = True  # False: the part never left

    @property
    def in_doubt(self) -> bool:
        return self.sent and self.carrier_id is None and self.status is None


@dataclass(slots=True)
class _Plan:
    """One message: its parts, which were accepted on an earlier try, which are in doubt."""

    submission: Submission
    parts: list[Part]
    accepted: dict[int, str] = field(default_factory=dict)
    in_doubt: set[int] = field(default_factory=set)
    resends: dict[int, int] = field(default_factory=dict)

    @property
    def to_send(self) -> list[Part]:
        return [p for p in self.parts if p.number not in self.accepted]


class SmppProvider:
    def __init__(
        self,
        config: SmppConfig,
        db: Database,
        clock: Clock,
        settlement: Settlement,
        inbound: InboundSink | None = None,
    ) -> None:
        self.name = config.name
        self.config = config
        # Outcomes are settled in the transaction that updates the parts (see Books), so
        # that no crash falls between the two: the receipt sink given at start() is unused.
        self._books = Books(config.name, db, clock, settlement, inbound)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"smpp-{self.name}-db")
        self._bound = False
        self._stopping = False
        self._tx: Link | None = None
        self._rx: Link | None = None
        self._throttle_pause = 0.0
        self._paused_until = 0.0
        # submit() calls under way: stop() lets them finish, so that parts already on the
        # wire are recorded (a connection closed while running is one an operator changed).
        self._submitting = 0
        self._submits_done = threading.Condition()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, receipts: ReceiptSink) -> None:
        self._stopping = False
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run_loop, args=(ready,), name=f"smpp-{self.name}", daemon=True
        )
        self._thread.start()
        ready.wait()
        asyncio.run_coroutine_threadsafe(self._main(), self._loop)

    def _run_loop(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()
        self._loop.close()

    def stop(self) -> None:
        """Unbind gracefully, then stop the loop."""
        if self._loop is None or self._thread is None:
            return
        with self._submits_done:
            self._submits_done.wait_for(
                lambda: self._submitting == 0,
                timeout=self.config.submit_budget + self.config.response_timeout,
            )
        self._stopping = True
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(timeout=5)
        except Exception:
            log.exception("smpp.shutdown_failed", connection=self.name)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._executor.shutdown(wait=True)
        self._loop = None

    def is_available(self) -> bool:
        """Bound right now (the router fails over to another route when not)."""
        return self._bound

    async def _main(self) -> None:
        self._submits = codec.SubmitEncoder()
        self._window = asyncio.Semaphore(self.config.window)
        self._throughput: Throughput = throughput_for(
            self.name, self.config.tps, self.config.redis_url
        )
        self._bound_event = asyncio.Event()
        self._deliveries: asyncio.Queue[tuple[Link, codec.Pdu]] = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._stay_bound(), name=f"{self.name}:bind"),
            asyncio.create_task(self._take_deliveries(), name=f"{self.name}:deliveries"),
            asyncio.create_task(self._reconcile_now_and_then(), name=f"{self.name}:reconcile"),
        ]

    async def _shutdown(self) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
        links = {link for link in (self._tx, self._rx) if link is not None}
        await asyncio.gather(*(link.unbind() for link in links), return_exceptions=True)
        self._set_bound(False)

    # -- staying bound -----------------------------------------------------------------------

    async def _stay_bound(self) -> None:
        delay = self.config.reconnect_min
        while not self._stopping:
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
            for link in (self._tx, self._rx):
                if link is not None:
                    link.close()
            if self._stopping:
                return
            # Back off with jitter so that many workers do not reconnect in step.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.config.reconnect_max)

    def _set_bound(self, bound: bool) -> None:
        self._bound = bound
        event: asyncio.Event | None = getattr(self, "_bound_event", None)  # set up by _main
        if event is not None and bound:
            event.set()
        elif event is not None:
            event.clear()
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
            self._tx = await open_link("bind_transmitter", f"{self.name}:tx")
            try:
                self._rx = await open_link("bind_receiver", f"{self.name}:rx")
            except BaseException:
                self._tx.close()
                raise
        else:
            self._tx = self._rx = await open_link("bind_transceiver", f"{self.name}:trx")

    async def _until_a_link_closes(self) -> None:
        waits = {
            asyncio.ensure_future(link.closed.wait())
            for link in {self._tx, self._rx}
            if link is not None
        }
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in pending:
            waiting.cancel()

    # -- submitting (called from a dispatch thread) ------------------------------------------

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        if not batch:
            return
        with self._submits_done:
            self._submitting += 1
        try:
            yield self._submit(batch)
        finally:
            with self._submits_done:
                self._submitting -= 1
                self._submits_done.notify_all()

    def _submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        if self._loop is None or self._stopping:
            return [self._retry(s.message_id, 1.0) for s in batch]
        plans = self._plans(batch)
        future = asyncio.run_coroutine_threadsafe(self._send_all(plans), self._loop)
        answers = future.result(
            timeout=self.config.submit_budget + self.config.response_timeout + 5
        )
        results: list[SubmitResult] = []
        submitted: list[ledger.PartSubmitted] = []
        closed: list[uuid.UUID] = []
        for plan, plan_answers in zip(plans, answers, strict=True):
            results.append(self._conclude(plan, plan_answers, submitted, closed))
        self._books.record_submits(submitted, closed)
        return results

    def _plans(self, batch: Sequence[Submission]) -> list[_Plan]:
        plans = [_Plan(s, segment(s.message_id, s.text)) for s in batch]
        again = [p for p in plans if p.submission.attempt > 1]
        if not again:
            return plans
        known = self._books.known_parts([p.submission.message_id for p in again])
        for plan in again:
            for row in known.get(plan.submission.message_id, []):
                if row.carrier_message_id is not None:
                    plan.accepted[row.part_number] = row.carrier_message_id
                elif row.in_doubt:
                    plan.in_doubt.add(row.part_number)
                plan.resends[row.part_number] = row.resends
        return plans

    def _conclude(
        self,
        plan: _Plan,
        answers: list[_Answer],
        submitted: list[ledger.PartSubmitted],
        closed: list[uuid.UUID],
    ) -> SubmitResult:
        message_id = plan.submission.message_id
        total = len(plan.parts)
        refused: int | None = None
        throttled = False
        to_send = plan.to_send  # before this loop adds to plan.accepted
        for part, answer in zip(to_send, answers, strict=True):
            resent = part.number in plan.in_doubt and answer.sent
            if resent:
                metrics.smpp_parts_resent.labels(self.name).inc()
                log.warning("smpp.part_resent", message_id=str(message_id), part=part.number)
            resends = plan.resends.get(part.number, 0) + int(resent)
            if answer.carrier_id is not None:
                plan.accepted[part.number] = answer.carrier_id
                submitted.append(
                    ledger.PartSubmitted(message_id, part.number, total, answer.carrier_id, resends)
                )
            elif answer.in_doubt:
                submitted.append(
                    ledger.PartSubmitted(message_id, part.number, total, None, resends)
                )
            elif answer.status in codec.TEMPORARY_STATUSES:
                throttled = True
            elif answer.status is not None and refused is None:
                refused = answer.status
        if refused is not None:
            closed.append(message_id)
            return SubmitResult(
                message_id, SubmitOutcome.REJECTED, error_code=codec.status_name(refused)
            )
        if len(plan.accepted) == total:
            ids = [plan.accepted[number] for number in range(1, total + 1)]
            return SubmitResult.accepted(message_id, *ids)
        pause = max(self._throttle_pause, _THROTTLE_PAUSE_MIN) if throttled else 1.0
        return self._retry(message_id, pause)

    @staticmethod
    def _retry(message_id: uuid.UUID, after: float) -> SubmitResult:
        return SubmitResult(message_id, SubmitOutcome.RETRY, retry_after_seconds=after)

    # -- on the loop: sending parts ----------------------------------------------------------

    async def _send_all(self, plans: list[_Plan]) -> list[list[_Answer]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.submit_budget
        if not self._bound:
            try:
                await asyncio.wait_for(
                    self._bound_event.wait(), min(1.0, self.config.submit_budget)
                )
            except TimeoutError:
                return [[_Answer(sent=False)] * len(p.to_send) for p in plans]
        # Parts go out in order, one coroutine for the whole batch (a task per message costs
        # more than the sending); the window keeps `window` of them in flight.
        pending = [await self._send_message(plan, deadline) for plan in plans]
        return [[await self._answer(future) for future in futures] for futures in pending]

    async def _send_message(
        self, plan: _Plan, deadline: float
    ) -> list[asyncio.Future[codec.Pdu] | None]:
        """Send the parts still to send; a future per part (None: that part never left)."""
        submission = plan.submission
        pending: list[asyncio.Future[codec.Pdu] | None] = []
        for part in plan.to_send:
            try:
                pending.append(await self._send_part(submission, part, deadline))
            except _NotSent:
                pending.append(None)
            except Exception:
                # Whatever went wrong, this part may be out: treat it as unanswered.
                log.exception("smpp.send_failed", message_id=str(submission.message_id))
                pending.append(asyncio.get_running_loop().create_future())
                pending[-1].set_exception(LinkClosed(self.name))  # type: ignore[union-attr]
        return pending

    async def _send_part(
        self, submission: Submission, part: Part, deadline: float
    ) -> asyncio.Future[codec.Pdu]:
        await self._wait_out_throttling(deadline)
        if self._window.locked():
            await _before(deadline, self._window.acquire())
        else:
            await self._window.acquire()  # free: no waiting, no timer
        try:
            if not self._throughput.try_acquire():
                await _before(deadline, self._throughput.acquire())
            link = self._tx
            if link is None or not self._bound:
                raise _NotSent
            pdu = self._submits.encode(
                link.next_sequence(), **self._submit_fields(submission, part)
            )
            future = link.send_encoded(pdu)
        except (_NotSent, LinkClosed) as exc:
            self._window.release()
            raise _NotSent from exc
        future.add_done_callback(lambda _: self._window.release())
        with contextlib.suppress(LinkClosed):
            await link.drain()  # a lost link fails the future: that part is in doubt
        return future

    async def _wait_out_throttling(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while (pause := self._paused_until - loop.time()) > 0:
            if loop.time() + pause > deadline:
                raise _NotSent
            await asyncio.sleep(pause)

    async def _answer(self, future: asyncio.Future[codec.Pdu] | None) -> _Answer:
        if future is None:
            return _Answer(sent=False)
        try:
            response = await future  # the link fails it after the response timeout
        except (TimeoutError, LinkClosed):
            return _Answer()  # in doubt: it may or may not have reached the carrier
        if response.status == codec.ESME_ROK:
            self._throttle_pause = 0.0
            return _Answer(carrier_id=response.text("message_id"))
        if response.status in codec.TEMPORARY_STATUSES:
            self._slow_down()
        return _Answer(status=response.status)

    def _slow_down(self) -> None:
        metrics.smpp_throttled.labels(self.name).inc()
        self._throttle_pause = min(
            _THROTTLE_PAUSE_MAX, max(_THROTTLE_PAUSE_MIN, self._throttle_pause * 2)
        )
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + self._throttle_pause)

    def _submit_fields(self, submission: Submission, part: Part) -> dict[str, Any]:
        source_ton, source_npi, source = source_address(submission.sender)
        return {
            "source_addr_ton": source_ton,
            "source_addr_npi": source_npi,
            "source_addr": source,
            "dest_addr_ton": 1,
            "dest_addr_npi": 1,
            "destination_addr": destination_address(submission.destination),
            "esm_class": part.esm_class,
            "registered_delivery": 1,  # a final receipt, whatever the outcome
            "data_coding": part.data_coding,
            "short_message": part.short_message,
        }

    # -- on the loop: what the SMSC delivers -------------------------------------------------

    async def _on_request(self, link: Link, pdu: codec.Pdu) -> None:
        if pdu.command == "deliver_sm":
            self._deliveries.put_nowait((link, pdu))
        elif pdu.command != "alert_notification":  # the one request without a response
            link.respond(pdu, codec.ESME_RINVCMDID)

    async def _take_deliveries(self) -> None:
        """Store what arrived in batches: whatever queued up while the previous batch was
        being stored goes in the next one, so batches grow with the load and a lone receipt
        waits for nothing (an SMSC's deliver_sm window makes that wait costly)."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._deliveries.get()]
            await asyncio.sleep(0)  # let the reader queue what is already in the socket
            while len(batch) < _DELIVERY_BATCH and not self._deliveries.empty():
                batch.append(self._deliveries.get_nowait())
            pdus = [pdu for _, pdu in batch]
            stored = await loop.run_in_executor(self._executor, self._books.store_deliveries, pdus)
            # Unstored: a temporary error, so that the SMSC delivers it again later.
            status = codec.ESME_ROK if stored else codec.ESME_RX_T_APPN
            for link, pdu in batch:
                link.respond(pdu, status)

    async def _reconcile_now_and_then(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(self._executor, self._books.reconcile)
            except Exception:
                log.exception("smpp.reconcile_failed", connection=self.name)
            await asyncio.sleep(self.config.reconcile_every)
