"""A built-in carrier: accepts submissions after a latency and sends a delivery receipt
after a delay, like an SMSC. It keeps a journal file so that, like a real carrier, it
remembers what it accepted and which receipts it still owes across a restart of Herald,
and it takes a resubmission of a message it already has (same message id) without sending
it twice.

Outcomes are decided by the last four digits of the destination, so that tests and demos
can make a message fail on purpose:

    ...0666  rejected at submit (permanent error SIM_REJECTED)
    ...0997  receipt FAILED       (error SIM_FAILED)
    ...0998  receipt EXPIRED      (error SIM_EXPIRED)
    ...0999  receipt UNDELIVERED  (error SIM_UNDELIVERED)
    anything else: receipt DELIVERED
"""

from __future__ import annotations

import heapq
import json
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import structlog

from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.providers.base import (
    Receipt,
    ReceiptSink,
    ReceiptStatus,
    Submission,
    SubmitOutcome,
    SubmitResult,
)

log = structlog.get_logger(__name__)

_RECEIPT_BY_SUFFIX = {
    "0997": (ReceiptStatus.FAILED, "SIM_FAILED"),
    "0998": (ReceiptStatus.EXPIRED, "SIM_EXPIRED"),
    "0999": (ReceiptStatus.UNDELIVERED, "SIM_UNDELIVERED"),
}
REJECTED_SUFFIX = "0666"


def receipt_for(destination: str) -> tuple[ReceiptStatus, str | None]:
    return _RECEIPT_BY_SUFFIX.get(destination[-4:], (ReceiptStatus.DELIVERED, None))


class SimulatorProvider:
    def __init__(
        self,
        clock: Clock,
        *,
        name: str = "SIMULATOR",
        journal: Path | None = None,
        submit_latency: float = 0.005,
        receipt_delay: float = 0.5,
    ) -> None:
        self.name = name
        self._clock = clock
        self._journal_path = journal
        self._submit_latency = submit_latency
        self._receipt_delay = receipt_delay
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._by_ref: dict[str, str] = {}  # Herald message id -> our message id
        self._owed: list[tuple[float, str, str]] = []  # (due, our id, destination)
        self._sink: ReceiptSink | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.submitted_count = 0  # submissions that really went out (not deduplicated)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, receipts: ReceiptSink) -> None:
        self._sink = receipts
        self._load_journal()
        self._stopping = False
        self._thread = threading.Thread(target=self._deliver_loop, name="simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- submit ------------------------------------------------------------------------------

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        if self._submit_latency:
            time.sleep(self._submit_latency)
        results = []
        lines: list[dict[str, object]] = []
        with self._lock:
            for item in batch:
                results.append(self._accept(item, lines))
            self._append_journal(lines)
            self._wake.notify_all()
        yield results

    def _accept(self, item: Submission, lines: list[dict[str, object]]) -> SubmitResult:
        ref = str(item.message_id)
        if item.destination.endswith(REJECTED_SUFFIX):
            return SubmitResult(item.message_id, SubmitOutcome.REJECTED, error_code="SIM_REJECTED")
        known = self._by_ref.get(ref)
        if known is not None:  # a resubmission after Herald lost our answer: same message
            return SubmitResult.accepted(item.message_id, known)
        our_id = new_id().hex
        self._by_ref[ref] = our_id
        due = time.time() + self._receipt_delay
        heapq.heappush(self._owed, (due, our_id, item.destination))
        lines.append({"op": "submit", "ref": ref, "id": our_id, "to": item.destination, "due": due})
        self.submitted_count += 1
        return SubmitResult.accepted(item.message_id, our_id)

    # -- receipts ----------------------------------------------------------------------------

    def _deliver_loop(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and not self._due_now():
                    timeout = self._owed[0][0] - time.time() if self._owed else None
                    self._wake.wait(timeout=timeout)
                if self._stopping:
                    return
                due = self._pop_due()
            self._send_receipts(due)

    def _due_now(self) -> bool:
        return bool(self._owed) and self._owed[0][0] <= time.time()

    def _pop_due(self) -> list[tuple[float, str, str]]:
        now = time.time()
        due: list[tuple[float, str, str]] = []
        while self._owed and self._owed[0][0] <= now and len(due) < 500:
            due.append(heapq.heappop(self._owed))
        return due

    def _send_receipts(self, due: list[tuple[float, str, str]]) -> None:
        assert self._sink is not None
        at = self._clock.now()
        receipts = []
        for _, our_id, destination in due:
            status, error = receipt_for(destination)
            receipts.append(Receipt(self.name, our_id, status, error, at))
        try:
            self._sink(receipts)
        except Exception:
            # Like an SMSC whose receipt was not acknowledged: keep it and try again.
            log.exception("simulator.receipt_sink_failed", count=len(receipts))
            with self._lock:
                for entry in due:
                    heapq.heappush(self._owed, (time.time() + 1.0, entry[1], entry[2]))
            return
        with self._lock:
            self._append_journal([{"op": "ack", "id": our_id} for _, our_id, _ in due])

    # -- journal -----------------------------------------------------------------------------

    def _append_journal(self, lines: list[dict[str, object]]) -> None:
        if self._journal_path is None or not lines:
            return
        with self._journal_path.open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(line) + "\n" for line in lines))

    def _load_journal(self) -> None:
        """Rebuild what we accepted and the receipts we still owe, then compact the file."""
        path = self._journal_path
        if path is None or not path.exists():
            return
        owed: dict[str, tuple[float, str]] = {}
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            if line["op"] in ("submit", "seen"):
                self._by_ref[line["ref"]] = line["id"]
            if line["op"] == "submit":
                owed[line["id"]] = (float(line["due"]), line["to"])
            elif line["op"] == "ack":
                owed.pop(line["id"], None)
        self._owed = [(due, our_id, to) for our_id, (due, to) in owed.items()]
        heapq.heapify(self._owed)
        refs = {our_id: ref for ref, our_id in self._by_ref.items()}
        compact = [
            {"op": "seen", "ref": ref, "id": our_id}
            for our_id, ref in refs.items()
            if our_id not in owed
        ] + [
            {"op": "submit", "ref": refs[our_id], "id": our_id, "to": to, "due": due}
            for our_id, (due, to) in owed.items()
        ]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(line) + "\n" for line in compact), encoding="utf-8")
        tmp.replace(path)
