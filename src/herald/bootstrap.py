"""The one place that wires Herald together: database, clock, providers, workers."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from herald.idempotency import service as idempotency
from herald.inbound.keywords import Keywords
from herald.inbound.service import inbound_sink
from herald.kit import migrate
from herald.kit.clock import Clock, SystemClock
from herald.kit.db import Database, create_engine_for
from herald.kit.ratelimit import RateLimiter
from herald.messaging import dispatch, expand, settle
from herald.outreach import email_events
from herald.outreach import tasks as outreach_tasks
from herald.providers.base import Provider, Receipt
from herald.providers.email.classify import Mail
from herald.providers.email.inbox import MailSink
from herald.providers.simulator import SimulatorProvider
from herald.queue.worker import WorkerLoop
from herald.routing.connections import Connections, route_loader
from herald.routing.router import Router
from herald.settings import Settings
from herald.voice import tasks as voice_tasks
from herald.webhooks.guard import AddressGuard
from herald.webhooks.retry import RetryPolicy
from herald.webhooks.sender import HttpSender
from herald.webhooks.service import DeliveryRules
from herald.webhooks.tasks import Deliverer


@dataclass
class Container:
    settings: Settings
    db: Database
    clock: Clock
    router: Router
    voice: voice_tasks.VoiceRuntime | None = None
    connections: Connections | None = None
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    loops: list[WorkerLoop] = field(default_factory=list)
    # Called on stop, after the loops: resources the loops used (HTTP pools, threads).
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def webhook_guard(self) -> AddressGuard:
        return AddressGuard.from_setting(self.settings.webhook_allow_networks)

    @property
    def runs_links(self) -> bool:
        """This process runs the carrier links (not `serve --no-workers`, nor a worker
        without the dispatch group)."""
        return bool(self.loops) and "dispatch" in self.settings.worker_groups

    def receipts_sink(self, receipts: list[Receipt]) -> None:
        settle.record_receipts(self.db, self.clock, receipts)

    def start_providers(self) -> None:
        """Open the carrier connections (they deliver receipts to the database)."""
        for provider in self.router.providers.values():
            provider.start(self.receipts_sink)  # type: ignore[arg-type]

    def start_workers(self) -> None:
        """Start the worker loops of the groups HERALD_WORKER_LOOPS names (all by default);
        the carrier connections open with the dispatch group."""
        groups = self.settings.worker_groups
        if "dispatch" in groups:
            self.start_providers()
        # Each domain contributes the loops that run its work rows.
        chosen: dict[str, Callable[[Container], list[WorkerLoop]]] = {
            "expand": expansion_loops,
            "dispatch": lambda c: [*connection_loops(c), *dispatch_loops(c)],
            "webhooks": webhook_loops,
            "housekeeping": idempotency_loops,
            "outreach": outreach_loops,
            "voice": lambda c: c.voice.worker_loops(c) if c.voice else [],
        }
        self.loops = [
            loop for group, make in chosen.items() if group in groups for loop in make(self)
        ]
        for loop in self.loops:
            loop.start()

    def wake_workers(self) -> None:
        for loop in self.loops:
            loop.wake()

    def stop(self) -> None:
        for loop in self.loops:
            loop.stop()
        for close in self.closers:
            close()
        self.closers.clear()
        for provider in self.router.providers.values():
            provider.stop()
        if self.voice:
            self.voice.stop()
        self.db.dispose()


def webhook_deliverer(container: Container) -> Deliverer:
    """The webhook delivery worker, configured from the settings."""
    settings = container.settings
    deliverer = Deliverer(
        container.db,
        container.clock,
        HttpSender(container.webhook_guard, settings.webhook_timeout_seconds),
        container.worker_id,
        DeliveryRules(
            RetryPolicy(window=timedelta(hours=settings.webhook_retry_hours)),
            disable_after=timedelta(hours=settings.webhook_disable_after_hours),
        ),
        lease=timedelta(seconds=settings.lease_seconds),
        batch_size=settings.webhook_batch_size,
        concurrency=settings.webhook_concurrency,
    )
    container.closers.append(deliverer.close)
    return deliverer


def webhook_loops(container: Container) -> list[WorkerLoop]:
    """Delivery of webhook events to the endpoints that subscribed to them."""
    deliverer = webhook_deliverer(container)
    return [WorkerLoop("webhooks", deliverer.deliver_due, container.settings.idle_poll_seconds)]


def idempotency_loops(container: Container) -> list[WorkerLoop]:
    """Forgetting idempotency keys past their time (a slow loop: once a minute when idle)."""
    return [
        WorkerLoop(
            "idempotency-purge",
            lambda: idempotency.purge_expired(container.db, container.clock),
            60.0,
        )
    ]


def outreach_loops(container: Container) -> list[WorkerLoop]:
    """The sequencer: each lead of a running outreach campaign through its workflow."""
    settings = container.settings
    return [
        WorkerLoop(
            "outreach",
            lambda: outreach_tasks.advance_due(
                container.db,
                container.clock,
                container.worker_id,
                timedelta(seconds=settings.lease_seconds),
                settings.outreach_batch_size,
                settings.outreach_sender_daily_cap,
                settings.max_segments,
            ),
            settings.idle_poll_seconds,
        )
    ]


def connection_loops(container: Container) -> list[WorkerLoop]:
    """Opening and closing carrier connections as the connections table changes."""
    connections = container.connections
    if connections is None:
        return []

    def sync() -> int:
        connections.sync(container.router, container.receipts_sink)  # type: ignore[arg-type]
        return 0  # never "busy": look again after the refresh interval

    def read_mailboxes() -> int:
        connections.poll_mailboxes(container.router, container.receipts_sink)  # type: ignore[arg-type]
        return 0  # look again after the poll interval

    return [
        WorkerLoop("connections", sync, container.settings.connection_refresh_seconds),
        WorkerLoop("mailboxes", read_mailboxes, container.settings.email_poll_seconds),
    ]


def expansion_loops(container: Container) -> list[WorkerLoop]:
    """Turning accepted campaigns into priced messages."""
    lease = timedelta(seconds=container.settings.lease_seconds)
    return [
        WorkerLoop(
            "expand",
            lambda: expand.expand_due(container.db, container.clock, container.worker_id, lease),
            container.settings.idle_poll_seconds,
        )
    ]


def dispatch_loops(container: Container) -> list[WorkerLoop]:
    """Handing due messages to their carrier connections."""
    lease = timedelta(seconds=container.settings.lease_seconds)
    return [
        WorkerLoop(
            f"dispatch-{n}",
            lambda: dispatch.dispatch_due(
                container.db,
                container.clock,
                container.router,
                container.worker_id,
                lease,
                container.settings.dispatch_batch_size,
            ),
            container.settings.idle_poll_seconds,
        )
        for n in range(1, container.settings.dispatch_loops + 1)
    ]


def mail_sink(clock: Clock) -> MailSink:
    """Replies and bounces read from the mailboxes go to outreach."""

    def tell(session: Session, mailbox_name: str, mail: Mail) -> None:
        email_events.on_mail(session, clock, mailbox_name, mail)

    return tell


def default_providers(settings: Settings, clock: Clock) -> dict[str, Provider]:
    simulator = SimulatorProvider(
        clock,
        journal=settings.data_dir / "simulator-journal.jsonl",
        submit_latency=settings.simulator_submit_latency_ms / 1000,
        receipt_delay=settings.simulator_receipt_delay_ms / 1000,
    )
    return {simulator.name: simulator}


def build(
    settings: Settings | None = None,
    clock: Clock | None = None,
    providers: dict[str, Provider] | None = None,
    run_migrations: bool = True,
) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine_for(settings.effective_database_url)
    if run_migrations:
        migrate.upgrade(engine)
    db = Database(engine)
    providers = providers or default_providers(settings, clock)
    keywords = Keywords.from_settings(settings)
    connections = Connections(settings, db, clock, inbound_sink(clock, keywords), mail_sink(clock))
    router = Router(
        {**providers, **connections.providers()},
        default=next(iter(providers)),
        routes=route_loader(db),
    )
    outreach_tasks.install()  # replies stop sequences; throttling pauses campaigns
    return Container(
        settings=settings,
        db=db,
        clock=clock,
        router=router,
        voice=voice_tasks.default_runtime(settings, clock),
        connections=connections,
    )
