"""Dialer benchmark: one voice campaign of N leads with a concurrency limit, dialed through
the HTTP API and the worker loops of an in-process Herald against the built-in voice
simulator with short calls, until every lead is finished.

Prints, from the simulator's own record of its lines (not from Herald's books):
  peak_in_flight         the most calls on the line at once (must equal the limit)
  refill_p50/p99/max_ms  how long a freed slot stayed empty: the k-th call to end
                         against the (limit + k)-th call to start
  calls_per_second       calls placed from the first start to the last end

    uv run python bench/dialer.py                     # 10,000 leads, 1,000 at once, SQLite
    uv run python bench/dialer.py --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import drop_postgres, fresh_postgres, percentile

from herald.app import create_app
from herald.bootstrap import build
from herald.kit.money import to_micros
from herald.providers.voice_sim import LineRecord, VoiceSimulator
from herald.settings import Settings
from herald.tenancy import service as tenancy
from herald.voice import public_ids


def refill_latencies(records: list[LineRecord], limit: int) -> list[float]:
    """Seconds each freed slot stayed empty: the (limit + k)-th start needs k + 1 calls to
    have ended, so it is matched with the k-th end (both in order of time)."""
    starts = sorted(r.placed_at for r in records)
    ends = sorted(r.ended_at for r in records if r.ended_at is not None)
    return [max(0.0, starts[limit + k] - ends[k]) for k in range(len(starts) - limit)]


def peak_overlap(records: list[LineRecord]) -> int:
    edges = [(r.placed_at, 1) for r in records]
    edges += [(r.ended_at if r.ended_at is not None else float("inf"), -1) for r in records]
    peak = current = 0
    for _, step in sorted(edges):
        current += step
        peak = max(peak, current)
    return peak


def run(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        voice_sim_time_scale=args.time_scale,
        voice_sim_seed=args.seed,
        read_rate_limit="1000000/minute",
        write_rate_limit="1000000/minute",
        idle_poll_seconds=0.05,
    )
    container = build(settings)
    with TestClient(create_app(container, start_workers=True)) as client:
        with container.db.transaction() as session:
            tenant = tenancy.create_tenant(
                session, container.clock, name="Bench", balance_micros=to_micros("10000000")
            )
        headers = {"Authorization": f"Bearer {tenant.api_key}"}
        agent = client.post(
            "/v1/agents",
            json={"name": "Bench", "greeting": "Hello", "message": "A short call."},
            headers=headers,
        ).json()
        client.post("/v1/phone-numbers", json={"phone_number": "+351211234567"}, headers=headers)
        leads = [{"phone_number": f"+35192{i:06d}7"} for i in range(args.leads)]
        created = client.post(
            "/v1/campaigns",
            json={
                "name": "Bench",
                "agent_id": agent["id"],
                "from_phone_number": "+351211234567",
                "max_concurrent_calls": args.concurrency,
                "retry": {"max_retries": 0, "retry_interval_minutes": 1},
                "leads": leads,
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        deadline = time.monotonic() + args.timeout
        while True:
            campaign = client.get(f"/v1/campaigns/{campaign_id}", headers=headers).json()
            if campaign["status"] == "completed":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"not completed in {args.timeout}s: {campaign}")
            time.sleep(0.25)
    assert container.voice is not None
    simulator = container.voice.providers.providers["VOICE_SIM"]
    assert isinstance(simulator, VoiceSimulator)
    group = str(public_ids.decode(public_ids.CAMPAIGN, campaign_id))
    records = simulator.calls_of(group)
    first = min(r.placed_at for r in records)
    last = max(r.ended_at or 0.0 for r in records)
    refill = refill_latencies(records, args.concurrency)
    return {
        "leads": args.leads,
        "max_concurrent_calls": args.concurrency,
        "calls": len(records),
        "mean_call_seconds": round(
            sum((r.ended_at or r.placed_at) - r.placed_at for r in records) / len(records), 3
        ),
        "peak_in_flight": simulator.peak_in_flight(group),
        "peak_in_flight_from_intervals": peak_overlap(records),
        "refill_p50_ms": round(percentile(refill, 0.50) * 1000, 1),
        "refill_p99_ms": round(percentile(refill, 0.99) * 1000, 1),
        "refill_max_ms": round(max(refill) * 1000, 1),
        "seconds": round(last - first, 2),
        "calls_per_second": round(len(records) / (last - first)),
        "completed_calls": campaign["completed_calls"],
        "answered_leads": campaign["answered_leads"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1_000)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.02,
        help="simulated seconds to real seconds (0.02: a 75 s conversation takes 1.5 s)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--database",
        default=None,
        help="URL of a PostgreSQL admin database; a fresh database is made and dropped",
    )
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
        if args.database and args.database.startswith("postgresql"):
            url, name = fresh_postgres(args.database)
            try:
                figures = run(args, Path(tmp), url)
            finally:
                drop_postgres(args.database, name)
            backend = "postgresql"
        else:
            figures = run(args, Path(tmp), None)
            backend = "sqlite"
    print(json.dumps({"backend": backend, **figures}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
