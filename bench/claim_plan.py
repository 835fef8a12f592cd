"""Print how each database runs the claim of due messages (EXPLAIN), with a backlog.

    uv run python bench/claim_plan.py                      # SQLite in a temporary directory
    uv run python bench/claim_plan.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Fills `messages` with --pending PENDING rows (foreign keys off: only the plan matters), then
prints the plan of the claim's SELECT (the rows `queue.claim` leases) and how long one claim
of 200 takes. The plan must read the rows in index order (no sort of every pending row).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline import drop_postgres, fresh_postgres
from sqlalchemy import create_engine, insert, select, text

from herald.kit import migrate
from herald.kit.db import create_engine_for
from herald.messaging import repository
from herald.messaging.repository import messages
from herald.queue.claim import lease_is_free

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def fill(engine: object, pending: int) -> None:
    base = {
        "organization_id": uuid.uuid4(),
        "billing_account_id": uuid.uuid4(),
        "channel_type": "SMS",
        "channel_destination": "x",
        "e164_format": "+244923000000",
        "content": "hi",
        "encoding": "GSM7",
        "segments": 1,
        "trigger_source": "API",
        "cost_micros": 1,
        "is_refunded": False,
        "status": "PENDING",
        "priority": 0,
        "attempts": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    with engine.connect() as conn:  # type: ignore[attr-defined]
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))  # no FK checks
        for start in range(0, pending, 10_000):
            rows = [
                {**base, "id": uuid.uuid4(), "due_at": NOW - timedelta(seconds=n)}
                for n in range(start, min(pending, start + 10_000))
            ]
            conn.execute(insert(messages), rows)
        conn.execute(text("ANALYZE messages" if conn.dialect.name == "postgresql" else "ANALYZE"))
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=None)
    parser.add_argument("--pending", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        name = None
        if args.database:
            url, name = fresh_postgres(args.database)
        else:
            url = f"sqlite:///{Path(tmp) / 'plan.db'}"
        engine = create_engine_for(url)
        migrate.upgrade(engine)
        plain = create_engine(url)  # SQLite checks no foreign keys unless told to
        fill(plain, args.pending)
        plain.dispose()
        due = (
            select(messages.c.id)
            .where(*repository._due_messages(NOW), lease_is_free(messages, NOW))
            .order_by(messages.c.priority.desc(), messages.c.due_at, messages.c.id)
            .limit(200)
        )
        sql = str(due.compile(engine, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        with engine.connect() as conn:
            plan = [" ".join(str(c) for c in row) for row in conn.execute(text(explain + sql))]
            started = time.perf_counter()
            conn.execute(text(sql)).all()
            took_ms = (time.perf_counter() - started) * 1000
        engine.dispose()
        if name:
            drop_postgres(args.database, name)
    print(
        json.dumps(
            {
                "backend": engine.dialect.name,
                "pending": args.pending,
                "plan": plan,
                "claim_select_ms": round(took_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
