"""What an operator watches at /metrics: the process's counters (herald.kit.metrics) plus
gauges read from the database at scrape time, so that every process reports the same
campaign and message counts and queue backlogs whichever one is scraped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.kit.metrics import REGISTRY
from herald.messaging import repository as messaging
from herald.queue.stats import Backlog
from herald.webhooks import repository as webhooks


def exposition(db: Database, clock: Clock) -> bytes:
    """The Prometheus text format of every Herald metric."""
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(DatabaseGauges(db, clock))
    return generate_latest(REGISTRY) + generate_latest(snapshot)


class DatabaseGauges(Collector):
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock.now()
        with self._db.reading() as session:
            yield _by_status(
                "herald_campaigns",
                "Campaigns by status.",
                messaging.count_campaigns_by_status(session),
            )
            yield _by_status(
                "herald_messages", "Messages by status.", messaging.count_by_status(session)
            )
            yield _by_status(
                "herald_webhook_deliveries",
                "Webhook deliveries by status.",
                webhooks.count_deliveries_by_status(session),
            )
            yield from _queues(session, now)

    def describe(self) -> Iterator[Metric]:
        return iter(())


def _by_status(name: str, documentation: str, counts: dict[str, int]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=["status"])
    for status, count in sorted(counts.items()):
        gauge.add_metric([status], count)
    return gauge


def _queues(session: Session, now: datetime) -> Iterator[Metric]:
    backlogs: dict[str, Backlog] = {
        "expand": messaging.expand_backlog(session, now),
        "dispatch": messaging.dispatch_backlog(session, now),
        "webhooks": webhooks.delivery_backlog(session, now),
    }
    depth = GaugeMetricFamily(
        "herald_queue_depth", "Work rows due now, by queue.", labels=["queue"]
    )
    age = GaugeMetricFamily(
        "herald_queue_oldest_age_seconds",
        "How long the longest-waiting due row has waited, by queue.",
        labels=["queue"],
    )
    for queue, backlog in backlogs.items():
        depth.add_metric([queue], backlog.depth)
        age.add_metric([queue], backlog.age_seconds(now))
    yield depth
    yield age
