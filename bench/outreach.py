"""Outreach sequencer benchmark: N leads through a two-step workflow, in process, with a
hand-moved clock. Prints how many lead turns per second the sequencer writes (each send
turn prices, debits and queues one message) and how long dispatch takes to hand them over.

    uv run python bench/outreach.py                       # SQLite in a temporary directory
    uv run python bench/outreach.py --leads 20000 --database postgresql+psycopg://postgres@127.0.0.1/test
    (with --database, a fresh database is made beside the one named and dropped at the end)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import drop_postgres, fresh_postgres

from herald.bootstrap import Container, build
from herald.kit.clock import ManualClock
from herald.kit.money import to_micros
from herald.messaging import dispatch
from herald.outreach import access, campaigns, leads, tasks, workflow
from herald.outreach.campaigns import NewCampaign
from herald.outreach.leads import LeadInput
from herald.outreach.models import AccountGroup
from herald.settings import Settings
from herald.tenancy import service as tenancy

LEASE = timedelta(seconds=60)
STEPS = {
    "steps": [
        {"type": "send", "templates": {"en": "Hi {{ lead.firstName }}, shall we talk?"}},
        {"type": "wait", "duration": "P1D"},
        {"type": "send", "templates": {"en": "Still interested, {{ lead.firstName }}?"}},
    ]
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: SQLite)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="herald-bench-outreach-"))
    clock = ManualClock(datetime(2026, 1, 5, 8, tzinfo=UTC))
    database_url, scratch = None, None
    if args.database:  # a fresh database beside the one named, dropped at the end
        database_url, scratch = fresh_postgres(args.database)
    settings = Settings(data_dir=data_dir, database_url=database_url)
    container = build(settings, clock=clock)
    container.start_providers()
    try:
        campaign_id, group = _prepare(container, clock, args.leads)
        for step in ("first step", "second step"):
            started = time.perf_counter()
            turns = _drain(
                lambda: tasks.advance_due(container.db, clock, "bench", LEASE, args.batch)
            )
            sequenced = time.perf_counter() - started
            started = time.perf_counter()
            _drain(
                lambda: dispatch.dispatch_due(
                    container.db, clock, container.router, "bench", LEASE, 500
                )
            )
            handed = time.perf_counter() - started
            print(
                f"{step}: {turns} lead turns in {sequenced:.2f}s ({turns / sequenced:.0f}/s); "
                f"dispatch {handed:.2f}s ({turns / handed:.0f} msg/s)"
            )
            clock.advance(days=1)
        with container.db.reading() as session:
            status = campaigns.get(session, group, campaign_id).status
        print(f"campaign {status}; database {settings.effective_database_url.split(':')[0]}")
    finally:
        container.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        if args.database and scratch:
            drop_postgres(args.database, scratch)


def _prepare(
    container: Container, clock: ManualClock, count: int
) -> tuple[uuid.UUID, AccountGroup]:
    with container.db.transaction() as session:
        tenant = tenancy.create_tenant(
            session, clock, name="Bench", balance_micros=to_micros(10**6)
        )
        principal = tenancy.authenticate(session, tenant.api_key)
        group = access.create_group(session, clock, tenant.organization.id, "Sales")
        rows = [(i, LeadInput(phone=f"+24499{i:07d}", first_name=f"Lead{i}")) for i in range(count)]
        imported = leads.import_leads(session, clock, group, rows, None)
        new = NewCampaign(
            name="Bench", sender_id=tenant.remitter.id, workflow=workflow.parse(STEPS)
        )
        campaign = campaigns.create(session, clock, principal, group, new)
        campaigns.select_leads(session, clock, group, campaign.id, imported.lead_ids)
        campaigns.start(session, clock, group, campaign.id)
    return campaign.id, group


def _drain(step: Callable[[], int]) -> int:
    total = 0
    while handled := step():
        total += handled
    return total


if __name__ == "__main__":
    main()
