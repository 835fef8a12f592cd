"""An SMPP 3.4 carrier connection (Herald as ESME), behind the Provider protocol.

The SMPP session runs on an asyncio loop in a thread of its own. `submit` is called from a
dispatch worker thread: it hands the batch to the loop and yields the answers in groups as
they arrive (dispatch records each group in one transaction before asking for the next).
On the loop, every part of every message waits for a slot in the window and for the TPS
limit, then goes out. The pieces, one job each:

- session.py  staying bound (bind, rebind with backoff, unbind)
- window.py   window, rate, throttling pauses, and the answers awaiting their record
- plans.py    which parts to send (resend planning) and a message's answer from its parts'
- intake.py   receipts to the receipt sink, replies to the inbound sink, before acknowledging
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
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
from herald.providers.smpp import codec
from herald.providers.smpp.addresses import destination_address, source_address
from herald.providers.smpp.config import SmppConfig
from herald.providers.smpp.intake import Intake
from herald.providers.smpp.link import Link, LinkClosed
from herald.providers.smpp.plans import (
    IN_DOUBT,
    NOT_SENT,
    Answer,
    Plan,
    Resends,
    conclude,
)
from herald.providers.smpp.segments import Part
from herald.providers.smpp.session import Session
from herald.providers.smpp.throughput import throughput_for
from herald.providers.smpp.window import NotSent, Window

log = structlog.get_logger(__name__)

_DELIVERY_BATCH = 500
# A group of answers closes this long after its first answer, or at half a window of parts
# (fewer, larger transactions; the window bounds what a crash leaves ambiguous anyway).
_GROUP_SECONDS = 0.05


@dataclass(slots=True)
class _Call:
    """One submit() call: its answers as they come, and its parts on the wire (`wired`)
    against those whose answers were recorded (`released`)."""

    answered: queue.SimpleQueue[tuple[SubmitResult, int]] = field(default_factory=queue.SimpleQueue)
    wired: int = 0
    released: int = 0


class SmppProvider:
    def __init__(
        self,
        config: SmppConfig,
        db: Database,
        clock: Clock,
        inbound: InboundSink | None = None,
    ) -> None:
        self.name = config.name
        self.config = config
        self._intake = Intake(config.name, db, clock, inbound)
        self._resends = Resends()
        self._group_parts = max(1, config.window // 2)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"smpp-{self.name}-db")
        self._session = Session(config, self._on_request)
        self._stopping = False
        # submit() calls under way: stop() lets them finish, so that parts already on the
        # wire are recorded (a connection closed while running is one an operator changed).
        self._submitting = 0
        self._submits_done = threading.Condition()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, receipts: ReceiptSink) -> None:
        self._intake.receipts = receipts
        self._stopping = self._session.stopping = False
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
        self._stopping = self._session.stopping = True
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
        return self._session.bound

    async def _main(self) -> None:
        self._submits = codec.SubmitEncoder()
        throughput = throughput_for(self.name, self.config.tps, self.config.redis_url)
        self._window = Window(self.name, self.config.window, throughput)
        self._deliveries: asyncio.Queue[tuple[Link, codec.Pdu]] = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._session.stay_bound(), name=f"{self.name}:bind"),
            asyncio.create_task(self._take_deliveries(), name=f"{self.name}:deliveries"),
            asyncio.create_task(self._purge_now_and_then(), name=f"{self.name}:purge"),
        ]

    async def _shutdown(self) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
        await self._session.unbind()

    # -- submitting (called from a dispatch thread) ------------------------------------------

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        """Yield the answers in groups as they arrive: every few milliseconds or every half
        window of answers, so that a crash loses at most a window of them (see _group)."""
        if not batch:
            return
        with self._submits_done:
            self._submitting += 1
        try:
            if self._loop is None or self._stopping:
                yield [self._not_now(s.message_id) for s in batch]
                return
            yield from self._submit(batch, self._loop)
        finally:
            with self._submits_done:
                self._submitting -= 1
                self._submits_done.notify_all()

    def _submit(
        self, batch: Sequence[Submission], loop: asyncio.AbstractEventLoop
    ) -> Iterator[list[SubmitResult]]:
        plans = [self._resends.plan(s) for s in batch]
        call = _Call()
        sending = asyncio.run_coroutine_threadsafe(self._send_all(plans, call), loop)
        deadline = time.monotonic() + self.config.submit_budget + self.config.response_timeout + 5
        remaining = len(plans)
        try:
            while remaining:
                group, parts = self._group(call.answered, deadline, remaining)
                remaining -= len(group)
                yield group
                # Recorded (dispatch asks for the next group only then): make room for more.
                loop.call_soon_threadsafe(self._recorded, call, parts)
        finally:
            sending.cancel()  # if dispatch gave up on the rest: send no more of it
            loop.call_soon_threadsafe(self._close, call)

    def _group(
        self,
        answered: queue.SimpleQueue[tuple[SubmitResult, int]],
        deadline: float,
        remaining: int,
    ) -> tuple[list[SubmitResult], int]:
        """The answers that arrive within a few milliseconds of the first, up to half a
        window of parts (raises queue.Empty past the deadline: dispatch retries the rest)."""
        result, parts = answered.get(timeout=max(0.0, deadline - time.monotonic()))
        group = [result]
        closes = time.monotonic() + _GROUP_SECONDS
        while len(group) < remaining and parts < self._group_parts:
            try:
                result, more = answered.get(timeout=max(0.0, closes - time.monotonic()))
            except queue.Empty:
                break
            group.append(result)
            parts += more
        return group, parts

    @staticmethod
    def _not_now(message_id: uuid.UUID) -> SubmitResult:
        return SubmitResult(message_id, SubmitOutcome.RETRY, retry_after_seconds=1.0)

    # -- on the loop: sending parts ----------------------------------------------------------

    async def _send_all(self, plans: list[Plan], call: _Call) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.submit_budget
        await self._session.wait_bound(min(1.0, self.config.submit_budget))
        # Parts go out in order, one coroutine for the whole batch (a task per message costs
        # more than the sending); the window keeps `window` of them in flight, and a message
        # starts only while fewer than a window of answers wait to be recorded.
        for plan in plans:
            try:
                await self._window.room(deadline)
                await self._send_message(plan, deadline, call)
            except NotSent:
                plan.answers = [a or NOT_SENT for a in plan.answers]
            except Exception:
                log.exception("smpp.send_failed", message_id=str(plan.message_id))
            finally:
                plan.sending = False
                self._maybe_conclude(plan, call)

    def _recorded(self, call: _Call, parts: int) -> None:
        call.released += parts
        self._window.recorded(parts)

    def _close(self, call: _Call) -> None:
        """A submit call ended: whatever of it was not recorded no longer holds room."""
        self._recorded(call, call.wired - call.released)

    async def _send_message(self, plan: Plan, deadline: float, call: _Call) -> None:
        """Send the parts still to send; each answer lands in plan.answers."""
        for index, part in enumerate(plan.to_send):
            try:
                future = await self._send_part(plan.submission, part, deadline)
            except NotSent:
                plan.answers[index] = NOT_SENT
                continue
            except Exception:
                # Whatever went wrong, this part may be out: treat it as unanswered.
                log.exception("smpp.send_failed", message_id=str(plan.message_id))
                plan.answers[index] = IN_DOUBT
                continue
            plan.waiting += 1
            plan.wired += 1
            call.wired += 1
            self._window.wired()
            future.add_done_callback(functools.partial(self._on_answer, plan, index, call))

    def _on_answer(
        self, plan: Plan, index: int, call: _Call, future: asyncio.Future[codec.Pdu]
    ) -> None:
        self._window.release()
        plan.answers[index] = self._read_answer(future)
        plan.waiting -= 1
        self._maybe_conclude(plan, call)

    def _maybe_conclude(self, plan: Plan, call: _Call) -> None:
        if not plan.complete:
            return
        plan.concluded = True
        resent = set()
        for part, got in zip(plan.to_send, plan.answers, strict=True):
            if got is not None and got.sent and self._resends.resent(plan, part):
                resent.add(part.number)
                metrics.smpp_parts_resent.labels(self.name).inc()
        if resent:
            log.warning("smpp.parts_resent", message_id=str(plan.message_id), parts=len(resent))
        result = conclude(plan, resent, self._window.throttle_pause)
        if result.outcome is SubmitOutcome.RETRY:
            self._resends.remember(plan)
        else:
            self._resends.forget(plan)
        call.answered.put((result, plan.wired))

    async def _send_part(
        self, submission: Submission, part: Part, deadline: float
    ) -> asyncio.Future[codec.Pdu]:
        await self._window.acquire(deadline)
        link = self._session.tx
        try:
            if link is None or not self._session.bound:
                raise NotSent
            pdu = self._submits.encode(
                link.next_sequence(), **self._submit_fields(submission, part)
            )
            future = link.send_encoded(pdu)
        except (NotSent, LinkClosed) as exc:
            self._window.release()
            raise NotSent from exc
        with contextlib.suppress(LinkClosed):
            await link.drain()  # a lost link fails the future: that part is in doubt
        return future

    def _read_answer(self, future: asyncio.Future[codec.Pdu]) -> Answer:
        if future.cancelled() or future.exception() is not None:
            return IN_DOUBT  # it may or may not have reached the carrier
        response = future.result()
        if response.status == codec.ESME_ROK:
            self._window.accepted()
            return Answer(carrier_id=response.text("message_id"))
        if response.status in codec.TEMPORARY_STATUSES:
            self._window.throttled()
        return Answer(status=response.status)

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
            stored = await loop.run_in_executor(self._executor, self._intake.store, pdus)
            # Unstored: a temporary error, so that the SMSC delivers it again later.
            status = codec.ESME_ROK if stored else codec.ESME_RX_T_APPN
            for link, pdu in batch:
                link.respond(pdu, status)

    async def _purge_now_and_then(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(self._executor, self._intake.purge)
            except Exception:
                log.exception("smpp.purge_failed", connection=self.name)
            await asyncio.sleep(self.config.purge_every)
