"""The one place that wires Herald together: database, clock, providers, workers."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from herald.kit import migrate
from herald.kit.clock import Clock, SystemClock
from herald.kit.db import Database, create_engine_for
from herald.kit.ratelimit import RateLimiter
from herald.messaging import dispatch, expand, settle
from herald.providers.base import Provider, Receipt
from herald.providers.simulator import SimulatorProvider
from herald.queue.worker import WorkerLoop
from herald.routing.router import Router
from herald.settings import Settings


@dataclass
class Container:
    settings: Settings
    db: Database
    clock: Clock
    router: Router
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    loops: list[WorkerLoop] = field(default_factory=list)

    def receipts_sink(self, receipts: list[Receipt]) -> None:
        settle.record_receipts(self.db, self.clock, receipts)

    def start_providers(self) -> None:
        """Open the carrier connections (they deliver receipts to the database)."""
        for provider in self.router.providers.values():
            provider.start(self.receipts_sink)  # type: ignore[arg-type]

    def start_workers(self) -> None:
        self.start_providers()
        # Each domain contributes the loops that run its work rows.
        self.loops = [*messaging_loops(self)]
        for loop in self.loops:
            loop.start()

    def wake_workers(self) -> None:
        for loop in self.loops:
            loop.wake()

    def stop(self) -> None:
        for loop in self.loops:
            loop.stop()
        for provider in self.router.providers.values():
            provider.stop()
        self.db.dispose()


def messaging_loops(container: Container) -> list[WorkerLoop]:
    """Expansion of campaigns and dispatch of messages."""
    lease = timedelta(seconds=container.settings.lease_seconds)
    return [
        WorkerLoop(
            "expand",
            lambda: expand.expand_due(container.db, container.clock, container.worker_id, lease),
            container.settings.idle_poll_seconds,
        ),
        WorkerLoop(
            "dispatch",
            lambda: dispatch.dispatch_due(
                container.db,
                container.clock,
                container.router,
                container.worker_id,
                lease,
                container.settings.dispatch_batch_size,
            ),
            container.settings.idle_poll_seconds,
        ),
    ]


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
    providers = providers or default_providers(settings, clock)
    router = Router(providers, default=next(iter(providers)))
    return Container(settings=settings, db=Database(engine), clock=clock, router=router)
