"""A built-in carrier: accepts submissions after a latency and sends a delivery receipt
after a delay, like an SMSC. It keeps a journal file so that, like a real carrier, it
remembers which receipts it still owes across a restart of Herald, and it takes a
resubmission of a message it already has (same message id) without sending it twice. Once a
receipt is out, the message is remembered for `remember_seconds` only (longer than a
dispatch lease, after which Herald would resubmit), so that memory and the journal stay
flat on a campaign of any size; our id is derived from Herald's, so even a resubmission we
forgot gets the first submission's id.

Outcomes are decided by the last four digits of the destination, so that tests and demos
can make a message fail on purpose:

    ...0666  rejected at submit (permanent error SIM_REJECTED)
    ...0997  receipt FAILED       (error SIM_FAILED)
    ...0998  receipt EXPIRED      (error SIM_EXPIRED)
    ...0999  receipt UNDELIVERED  (error SIM_UNDELIVERED)
    anything else: receipt DELIVERED
"""

from __future__ import annotations

import hashlib
import heapq
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import structlog

from herald.kit.clock import Clock
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
# The journal is rewritten once it holds this many lines and mostly forgotten ones.
_COMPACT_AT = 100_000


def receipt_for(destination: str) -> tuple[ReceiptStatus, str | None]:
    return _RECEIPT_BY_SUFFIX.get(destination[-4:], (ReceiptStatus.DELIVERED, None))


def carrier_id(message_ref: str) -> str:
    """Our id for a Herald message: derived from its id, so that a resubmission we no longer
    remember still gets the id (and the receipt) of the first submission."""
    return hashlib.blake2b(message_ref.encode(), digest_size=12).hexdigest()


class SimulatorProvider:
    def __init__(
        self,
        clock: Clock,
        *,
        name: str = "SIMULATOR",
        journal: Path | None = None,
        submit_latency: float = 0.005,
        receipt_delay: float = 0.5,
        remember_seconds: float = 120.0,
    ) -> None:
        self.name = name
        self._clock = clock
        self._journal_path = journal
        self._submit_latency = submit_latency
        self._receipt_delay = receipt_delay
        self._remember = remember_seconds
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        # Herald message ids whose receipt we owe, and those whose receipt went out within
        # `remember_seconds` (ref -> when), oldest first: what a resubmission may repeat.
        # Older ones are forgotten, so that memory stays flat however long the campaign.
        # Keys are the ids as integers: half the memory of their text.
        self._owing: set[int] = set()
        self._receipted: dict[int, float] = {}
        self._owed: list[tuple[float, str, str, str]] = []  # (due, our id, destination, ref)
        self._journal_lines = 0
        self._sink: ReceiptSink | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.submitted_count = 0  # submissions that really went out (not deduplicated)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, receipts: ReceiptSink) -> None:
        self._sink = receipts
        with self._lock:
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
        our_id = carrier_id(ref)
        key = item.message_id.int
        if key in self._owing or key in self._receipted:  # Herald lost our answer: same one
            return SubmitResult.accepted(item.message_id, our_id)
        self._owing.add(key)
        due = time.time() + self._receipt_delay
        heapq.heappush(self._owed, (due, our_id, item.destination, ref))
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

    def _pop_due(self) -> list[tuple[float, str, str, str]]:
        now = time.time()
        due: list[tuple[float, str, str, str]] = []
        while self._owed and self._owed[0][0] <= now and len(due) < 500:
            due.append(heapq.heappop(self._owed))
        return due

    def _send_receipts(self, due: list[tuple[float, str, str, str]]) -> None:
        assert self._sink is not None
        at = self._clock.now()
        receipts = []
        for _, our_id, destination, _ in due:
            status, error = receipt_for(destination)
            receipts.append(Receipt(self.name, our_id, status, error, at))
        try:
            self._sink(receipts)
        except Exception:
            # Like an SMSC whose receipt was not acknowledged: keep it and try again.
            log.exception("simulator.receipt_sink_failed", count=len(receipts))
            with self._lock:
                for entry in due:
                    heapq.heappush(self._owed, (time.time() + 1.0, *entry[1:]))
            return
        now = time.time()
        with self._lock:
            for *_, ref in due:
                key = uuid.UUID(ref).int
                self._owing.discard(key)
                self._receipted[key] = now
            self._forget_old(now)
            self._append_journal([{"op": "ack", "ref": ref, "at": now} for *_, ref in due])

    def _forget_old(self, now: float) -> None:
        horizon = now - self._remember
        while self._receipted:
            ref, at = next(iter(self._receipted.items()))
            if at >= horizon:
                break
            del self._receipted[ref]

    # -- journal -----------------------------------------------------------------------------

    def _append_journal(self, lines: list[dict[str, object]]) -> None:
        if self._journal_path is None or not lines:
            return
        with self._journal_path.open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(line) + "\n" for line in lines))
        self._journal_lines += len(lines)
        if self._journal_lines > max(_COMPACT_AT, 4 * (len(self._owed) + len(self._receipted))):
            self._compact()

    def _load_journal(self) -> None:
        """Rebuild the receipts we still owe and what we remember, then compact the file."""
        path = self._journal_path
        if path is None or not path.exists():
            return
        owed: dict[str, tuple[float, str, str]] = {}  # ref -> (due, our id, destination)
        refs: dict[str, str] = {}  # our id -> ref, for journals that acked by id
        now = time.time()
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            ref = line.get("ref") or refs.get(line.get("id", ""), "")
            if line["op"] == "submit":
                our_id = line.get("id") or carrier_id(ref)
                refs[our_id] = ref
                owed[ref] = (float(line["due"]), our_id, line["to"])
            elif line["op"] in ("ack", "seen"):
                owed.pop(ref, None)
                self._receipted[uuid.UUID(ref).int] = float(line.get("at", now))
        self._owing = {uuid.UUID(ref).int for ref in owed}
        self._owed = [(due, our_id, to, ref) for ref, (due, our_id, to) in owed.items()]
        heapq.heapify(self._owed)
        self._receipted = dict(sorted(self._receipted.items(), key=lambda item: item[1]))
        self._forget_old(now)
        self._compact()

    def _compact(self) -> None:
        """Rewrite the journal with only what we owe and remember."""
        path = self._journal_path
        if path is None:
            return
        lines = [
            {"op": "submit", "ref": ref, "id": our_id, "to": to, "due": due}
            for due, our_id, to, ref in self._owed
        ] + [
            {"op": "ack", "ref": str(uuid.UUID(int=key)), "at": at}
            for key, at in self._receipted.items()
        ]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        tmp.replace(path)
        self._journal_lines = len(lines)
