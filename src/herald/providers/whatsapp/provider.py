"""WhatsApp over the WhatsApp Business Cloud API, behind the provider port.

A message is one HTTPS request (`POST /{phone-number-id}/messages`); Meta answers with the
message's id (`wamid`) or a Graph error. Sends leave at the number's throughput (`rate`),
`concurrency` at a time, and are answered to dispatch in small groups as they complete.
What happens later (sent, delivered, read, failed; people's replies) Meta posts to Herald's
webhook (herald.whatsapp.webhooks), which settles through the same receipt sink.

Meta has no idempotency key: a send whose answer was lost (a crash, a timeout) is sent
again when its lease runs out, as an SMPP submit_sm is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import httpx
import structlog

from herald.providers.base import ReceiptSink, Submission, SubmitOutcome, SubmitResult
from herald.providers.whatsapp import graph
from herald.providers.whatsapp.config import WhatsAppConfig
from herald.providers.whatsapp.pacing import pace_for

log = structlog.get_logger(__name__)

THROTTLED = 130429  # the number's throughput: everybody waits, then tries again
PAIR_RATE = 131056  # too many messages to this one person: this one later
PAIR_RATE_SECONDS = 6.0  # Meta allows about one message every 6 seconds to one person
RETRY_LATER = {131000, 131016, 133004}  # Meta's "try again" family
GROUP = 25  # answers recorded per transaction at most


def error_code(code: int) -> str:
    """A Meta error as a message's error_code."""
    return f"WHATSAPP_{code}"


def backoff_seconds(attempt: int) -> float:
    """1 s, 2 s, 4 s ... up to a minute, by how often this message was tried."""
    return float(min(60, 2 ** max(0, attempt - 1)))


class WhatsAppProvider:
    def __init__(
        self,
        config: WhatsAppConfig,
        client: httpx.Client | None = None,
        redis_url: str | None = None,  # shares the number's rate across processes
    ) -> None:
        self.config = config
        self.name = config.name
        limits = httpx.Limits(max_connections=config.concurrency * 2)
        self._client = client or httpx.Client(timeout=httpx.Timeout(20.0), limits=limits)
        self._pace = pace_for(config.phone_number_id, config.rate, redis_url)
        self._pool: ThreadPoolExecutor | None = None
        self._receipts: ReceiptSink | None = None

    def start(self, receipts: ReceiptSink) -> None:
        # Receipts come through the webhook (settled with the same sink), not from here.
        self._receipts = receipts
        self._pool = ThreadPoolExecutor(self.config.concurrency, f"whatsapp-{self.name}")

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._client.close()

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        pool = self._pool or ThreadPoolExecutor(self.config.concurrency)
        pending: set[Future[SubmitResult]] = {pool.submit(self._send, s) for s in batch}
        done: list[SubmitResult] = []
        while pending:
            finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            done.extend(f.result() for f in finished)
            if len(done) >= GROUP or (done and not pending):
                yield done
                done = []
        if pool is not self._pool:
            pool.shutdown()

    def _send(self, submission: Submission) -> SubmitResult:
        self._pace.wait()
        url = f"{self.config.api_base_url}/{self.config.phone_number_id}/messages"
        try:
            response = self._client.post(
                url, json=graph.message_body(submission), headers=graph.headers(self.config)
            )
        except httpx.HTTPError as exc:
            log.warning("whatsapp.send_failed", connection=self.name, error=str(exc))
            return SubmitResult(submission.message_id, SubmitOutcome.RETRY)
        if response.status_code == 200:
            wamid = graph.message_id(response.json())
            if wamid:
                return SubmitResult.accepted(submission.message_id, wamid)
        return self._refused(submission, graph.error_of(response))

    def _refused(self, submission: Submission, error: graph.GraphError) -> SubmitResult:
        id = submission.message_id
        if error.code == THROTTLED:
            delay = backoff_seconds(submission.attempt)
            self._pace.hold(min(delay, 5.0))
            return SubmitResult(id, SubmitOutcome.RETRY, retry_after_seconds=delay)
        if error.code == PAIR_RATE:
            return SubmitResult(id, SubmitOutcome.RETRY, retry_after_seconds=PAIR_RATE_SECONDS)
        if error.code in RETRY_LATER or error.http_status >= 500 or error.http_status == 401:
            # Meta's trouble or our token's: nothing is wrong with the message itself.
            log.warning(
                "whatsapp.refused", connection=self.name, code=error.code, error=error.message
            )
            return SubmitResult(id, SubmitOutcome.RETRY, retry_after_seconds=None)
        return SubmitResult(id, SubmitOutcome.REJECTED, error_code=error_code(error.code))
