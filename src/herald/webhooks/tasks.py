"""The delivery worker: claim due deliveries, POST them (several at once), record answers.

A delivery is leased while its request is in flight. If the process dies before the
answer is recorded, the lease runs out and the delivery is sent again with the same
`webhook-id`, so receivers that deduplicate by id see each event once. Because only the
oldest unfinished delivery of an (endpoint, resource) can be claimed, a crash never
lets a later event about a resource overtake an earlier one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from herald.kit import metrics
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.webhooks import repository, service
from herald.webhooks.repository import Job
from herald.webhooks.sender import Answer, Sender
from herald.webhooks.service import DeliveryRules
from herald.webhooks.signing import signed_headers, webhook_id

log = structlog.get_logger(__name__)


@dataclass
class Deliverer:
    db: Database
    clock: Clock
    sender: Sender
    owner: str
    rules: DeliveryRules
    lease: timedelta = timedelta(seconds=60)
    batch_size: int = 50
    concurrency: int = 8

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook")

    def deliver_due(self) -> int:
        """One round: returns how many deliveries were attempted."""
        jobs = self.claim()
        if jobs:
            self.record(list(self._pool.map(self.attempt, jobs)))
        return len(jobs)

    def claim(self) -> list[Job]:
        # A read first: when nothing is due (most rounds) no write lock is taken.
        with self.db.reading() as session:
            if not repository.any_due(session, self.clock.now()):
                return []
        with self.db.transaction() as session:
            return repository.claim_deliveries(
                session, self.owner, self.clock.now(), self.lease, self.batch_size
            )

    def attempt(self, job: Job) -> tuple[Job, datetime, Answer]:
        at = self.clock.now()
        headers = signed_headers(job.secret, webhook_id(job.event_id), at, job.body)
        answer = self.sender.post(job.url, headers, job.body.encode())
        outcome = "succeeded" if answer.succeeded else "failed"
        metrics.webhook_attempts.labels(outcome).inc()
        metrics.webhook_attempt_seconds.observe(answer.latency_ms / 1000)
        if not answer.succeeded:
            log.info(
                "webhook.attempt_failed",
                delivery_id=str(job.delivery_id),
                attempt=job.attempt,
                status_code=answer.status_code,
                error=answer.error,
            )
        return job, at, answer

    def record(self, answered: list[tuple[Job, datetime, Answer]]) -> None:
        with self.db.transaction() as session:
            service.record_answers(session, self.clock, self.owner, answered, self.rules)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sender.close()
