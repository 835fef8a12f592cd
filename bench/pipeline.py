"""Pipeline benchmark: N batches of 1,000 recipients through the HTTP API of a real
`herald serve` process, to the built-in simulator, until every message is settled.

Prints the latency of the batch POST (p50/p99) and messages per second from the first
accept to the last settled message (and to the last hand-over).

    uv run python bench/pipeline.py                      # SQLite in a temporary directory
    uv run python bench/pipeline.py --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

PER_BATCH = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def herald(*args: str, env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "herald.cli.main", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"herald_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> dict[str, object]:
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(data_dir),
        "HERALD_BATCH_RATE_LIMIT": "100000/minute",
        "HERALD_WRITE_RATE_LIMIT": "100000/minute",
        "HERALD_SIMULATOR_SUBMIT_LATENCY_MS": str(args.submit_latency_ms),
        "HERALD_SIMULATOR_RECEIPT_DELAY_MS": str(args.receipt_delay_ms),
        "HERALD_LOG_FORMAT": "json",
    }
    if database_url:
        env["HERALD_DATABASE_URL"] = database_url
    tenant = json.loads(
        herald("tenant", "create", "--name", "Bench", "--balance", "1000000", "--json", env=env)
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / "serve.log").open("ab")
    serve = [sys.executable, "-m", "herald.cli.main", "serve", "--port", str(port)]
    if args.split:
        serve.append("--no-workers")
    processes = [subprocess.Popen(serve, env=env, stdout=log, stderr=log)]
    if args.split:
        worker = [sys.executable, "-m", "herald.cli.main", "worker"]
        processes.append(subprocess.Popen(worker, env=env, stdout=log, stderr=log))
    try:
        wait_ready(url)
        figures = measure(args, url, tenant, env)
        # Peak resident memory of each Herald process over the whole run (VmHWM).
        figures["peak_rss_mb"] = [peak_rss_mb(p.pid) for p in processes]
        return {"split": args.split, **figures}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("herald did not become ready")


def measure(
    args: argparse.Namespace, url: str, tenant: dict[str, str], env: dict[str, str]
) -> dict[str, object]:
    from herald.settings import Settings

    db_url = (
        env.get("HERALD_DATABASE_URL")
        or Settings(data_dir=Path(env["HERALD_DATA_DIR"])).effective_database_url
    )
    engine = create_engine(db_url)
    headers = {"X-API-KEY": tenant["api_key"]}
    latencies: list[float] = []
    total = args.batches * PER_BATCH
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        client.get("/healthz")
        started = time.perf_counter()
        for batch in range(args.batches):
            body = {
                "name": f"bench {batch}",
                "remitter_id": tenant["remitter_id"],
                "channel_type": "SMS",
                "content": "Flash Sale! Enjoy 50% off on all items this weekend only.",
                "recipients": [f"+35191{batch:04d}{i:03d}" for i in range(PER_BATCH)],
            }
            t0 = time.perf_counter()
            response = client.post("/c/v1/campaigns/batch", json=body)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 202, response.text
        accepted = time.perf_counter()
    handed_over = settled = None
    counts: dict[str, int] = {}
    query = text("SELECT status, count(*) FROM messages GROUP BY status")
    deadline = time.perf_counter() + max(600, total / 100)
    while settled is None:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"not settled in time: {counts}")
        with engine.connect() as conn:
            counts = dict(conn.execute(query).all())
        done = sum(counts.values())
        open_ = counts.get("PENDING", 0) + counts.get("SENT", 0)
        now = time.perf_counter()
        if handed_over is None and done == total and counts.get("PENDING", 0) == 0:
            handed_over = now
        if done == total and open_ == 0:
            settled = now
        time.sleep(0.02 if total <= 20_000 else 0.5)
    engine.dispose()
    assert handed_over is not None
    return {
        "batches": args.batches,
        "messages": total,
        "post_p50_ms": round(statistics.median(latencies), 1),
        "post_p99_ms": round(percentile(latencies, 0.99), 1),
        "accept_seconds": round(accepted - started, 2),
        "handed_over_per_second": round(total / (handed_over - started)),
        "settled_per_second": round(total / (settled - started)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument(
        "--database",
        default=None,
        help="URL of a PostgreSQL admin database; a fresh database is made and dropped",
    )
    parser.add_argument("--submit-latency-ms", type=float, default=1.0)
    parser.add_argument("--receipt-delay-ms", type=float, default=200.0)
    parser.add_argument(
        "--split",
        action="store_true",
        help="run the API (`serve --no-workers`) and the workers (`worker`) as two processes",
    )
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
