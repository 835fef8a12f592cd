"""SMPP benchmark: messages per second through Herald's whole pipeline over SMPP, beside the
wire limit of the same SMSC.

Three processes on this machine: the test SMSC (`herald simulator smsc`, smpp.pdu3 codec),
`herald serve` with an SMPP connection and a catch-all route to it, and this script.

1. Wire: a bare ESME in this script binds to the SMSC, sends N submit_sm with the same
   window, acknowledges every receipt, and stops when it has N responses and N receipts.
2. Pipeline: N messages in batches of 1,000 through the HTTP API; the clock stops when every
   message is DELIVERED (accepted, billed, expanded, dispatched, receipt applied).

Prints both rates and pipeline/wire (target: 0.7 or more), the CPU each process spent per
message in each run, Herald's CPU per message against the bare client's (`cpu_ratio`; with
PostgreSQL's server processes counted on PostgreSQL), and the pipeline rate at which those
costs would fill every core of this machine (no spreading of the work can beat it here). With
BENCH_TRACE=1 it also prints how long the POSTs took and the messages by status as they settle.

    uv run python bench/smpp.py                                  # SQLite, 10,000 messages
    uv run python bench/smpp.py --messages 5000 --window 100
    uv run python bench/smpp.py --tps 500           # a carrier's usual cap, on both sides
    uv run python bench/smpp.py --database postgresql+psycopg://postgres@127.0.0.1/test
    uv run python bench/smpp.py --database postgresql+psycopg://postgres@127.0.0.1/test \
        --workers 2 --tps 1000 --redis redis://127.0.0.1:6379/0   # two binds, one shared cap
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import drop_postgres, free_port, fresh_postgres, herald, wait_ready

from herald.providers.smpp import codec
from herald.providers.smpp.link import Credentials, Link, Timers
from herald.providers.smpp.segments import segment
from herald.providers.smpp.throughput import TokenBucket

PER_BATCH = 1000
TEXT = "Flash Sale! Enjoy 50% off on all items this weekend only."
_FAILING = ("0666", "0997", "0998", "0999")  # the simulators' failure suffixes


def destinations(count: int) -> list[str]:
    """Portuguese mobile numbers, none of which the simulator fails on purpose."""
    found = (f"35191{n:07d}" for n in range(count * 2))
    return [d for d in found if d[-4:] not in _FAILING][:count]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far; Linux only."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL server process on this machine, by PID."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                found[int(entry.name)] = cpu_seconds(int(entry.name))
        except OSError:
            continue  # it ended meanwhile
    return found


class CpuMeter:
    """CPU microseconds per message of some processes (and of this script) over one run;
    with `database`, also of the PostgreSQL server (its backends come and go)."""

    def __init__(self, pids: dict[str, int], database: bool = False) -> None:
        self.pids = pids
        self.database = database
        self.start = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self.postgres = postgres_cpu() if database else {}
        self.own = time.process_time()

    def per_message(self, count: int) -> dict[str, int]:
        used = {name: cpu_seconds(pid) - self.start[name] for name, pid in self.pids.items()}
        used["bench"] = time.process_time() - self.own
        if self.database:
            now = postgres_cpu()
            used["database"] = sum(now[pid] - self.postgres.get(pid, 0.0) for pid in now)
        return {name: round(seconds * 1e6 / count) for name, seconds in used.items()}


def start_smsc(port: int, log: Path, receipt_delay_ms: int = 0) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "herald.cli.main", "simulator", "smsc",
        "--port", str(port), "--receipt-delay-ms", str(receipt_delay_ms),
    ]  # fmt: skip
    handle = log.open("ab")
    process = subprocess.Popen(command, stdout=handle, stderr=handle)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            asyncio.run(asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1))
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMSC simulator did not start")


# -- 1. the wire: a bare client, no database ----------------------------------------------------


async def bare_client(
    port: int, count: int, window: int, tps: int, smsc_pid: int
) -> tuple[float, dict[str, int]]:
    receipts = 0
    all_receipts = asyncio.Event()

    async def on_request(link: Link, pdu: codec.Pdu) -> None:
        nonlocal receipts
        link.respond(pdu)
        receipts += 1
        if receipts >= count:
            all_receipts.set()

    timers = Timers(response_timeout=30, enquire_link=30)
    credentials = Credentials("bench", "bench")
    link = await Link.open(
        "127.0.0.1", port, "bind_transceiver", credentials, on_request, timers, "bare"
    )
    slots = asyncio.Semaphore(window)
    bucket = TokenBucket(tps) if tps else None
    [part] = segment(uuid.uuid4(), TEXT)
    fields = {
        "source_addr_ton": 5,
        "source_addr": "Bench",
        "dest_addr_ton": 1,
        "dest_addr_npi": 1,
        "registered_delivery": 1,
        "data_coding": part.data_coding,
        "short_message": part.short_message,
    }
    pending = []
    meter = CpuMeter({"smsc": smsc_pid})
    started = time.perf_counter()
    for destination in destinations(count):
        await slots.acquire()
        if bucket is not None:
            await bucket.acquire()
        future = link.send("submit_sm", destination_addr=destination, **fields)
        future.add_done_callback(lambda _: slots.release())
        pending.append(future)
        await link.drain()
    answers = await asyncio.gather(*pending)
    await asyncio.wait_for(all_receipts.wait(), 120)
    elapsed = time.perf_counter() - started
    cpu = meter.per_message(count)
    cpu["client"] = cpu.pop("bench")
    await link.unbind()
    refused = sum(1 for a in answers if a.status != codec.ESME_ROK)
    if refused:
        raise RuntimeError(f"the SMSC refused {refused} submit_sm")
    return count / elapsed, cpu


# -- 2. the pipeline: herald serve over SMPP ----------------------------------------------------


def pipeline(
    args: argparse.Namespace, smsc_pid: int, smsc_port: int, data_dir: Path, db_url: str | None
) -> tuple[float, dict[str, int]]:
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(data_dir),
        "HERALD_BATCH_RATE_LIMIT": "100000/minute",
        "HERALD_WRITE_RATE_LIMIT": "100000/minute",
        "HERALD_LOG_FORMAT": "json",
    }
    if db_url:
        env["HERALD_DATABASE_URL"] = db_url
    if args.redis:
        env["HERALD_REDIS_URL"] = args.redis  # one TPS limit shared by every worker's bind
    tenant = json.loads(
        herald("tenant", "create", "--name", "Bench", "--balance", "1000000", "--json", env=env)
    )
    herald(
        "connection", "add", "--name", "bench-smsc", "--host", "127.0.0.1",
        "--port", str(smsc_port), "--system-id", "herald", "--password", "secret",
        "--tps", str(args.tps or 1_000_000), "--window", str(args.window), env=env,
    )  # fmt: skip
    herald("route", "add", "--connection", "bench-smsc", env=env)
    port = free_port()
    log = (data_dir / "serve.log").open("ab")
    serve = [sys.executable, "-m", "herald.cli.main", "serve", "--port", str(port)]
    if args.workers:
        serve.append("--no-workers")  # the API alone; each worker binds to the SMSC itself
    worker = [sys.executable, "-m", "herald.cli.main", "worker"]
    commands = [serve] + [worker] * args.workers
    processes = [subprocess.Popen(c, env=env, stdout=log, stderr=log) for c in commands]
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        pids = {"smsc": smsc_pid} | {f"herald{i}": p.pid for i, p in enumerate(processes)}
        return send_and_settle(args.messages, f"http://127.0.0.1:{port}", tenant, env, pids)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def send_and_settle(
    count: int, url: str, tenant: dict[str, str], env: dict[str, str], pids: dict[str, int]
) -> tuple[float, dict[str, int]]:
    from herald.settings import Settings

    db_url = (
        env.get("HERALD_DATABASE_URL")
        or Settings(data_dir=Path(env["HERALD_DATA_DIR"])).effective_database_url
    )
    engine = create_engine(db_url)
    query = text("SELECT count(*) FROM messages WHERE status = 'DELIVERED'")
    numbers = ["+" + d for d in destinations(count)]
    with httpx.Client(base_url=url, headers={"X-API-KEY": tenant["api_key"]}, timeout=30) as api:
        meter = CpuMeter(pids, database="HERALD_DATABASE_URL" in env)
        started = time.perf_counter()
        for batch in range(0, count, PER_BATCH):
            body = {
                "name": f"bench {batch}",
                "remitter_id": tenant["remitter_id"],
                "channel_type": "SMS",
                "content": TEXT,
                "recipients": numbers[batch : batch + PER_BATCH],
            }
            response = api.post("/c/v1/campaigns/batch", json=body)
            assert response.status_code == 202, response.text
    if os.environ.get("BENCH_TRACE"):
        print(f"accepted in {time.perf_counter() - started:.2f}s", file=sys.stderr)
    deadline = time.perf_counter() + 600
    delivered = 0
    while delivered < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {delivered} of {count} delivered within 10 minutes")
        time.sleep(0.25 if os.environ.get("BENCH_TRACE") else 0.02)
        with engine.connect() as conn:
            delivered = int(conn.execute(query).scalar_one())
            if os.environ.get("BENCH_TRACE"):
                trace = text("SELECT status, count(*) FROM messages GROUP BY status")
                counts = dict(conn.execute(trace).all())
                print(f"{time.perf_counter() - started:.2f}s {counts}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    cpu = meter.per_message(count)
    cpu["herald"] = sum(cpu.pop(name) for name in pids if name.startswith("herald"))
    engine.dispose()
    return count / elapsed, cpu


def cpu_ceiling(cpu: dict[str, int]) -> int:
    """The pipeline rate at which the SMSC, Herald and its PostgreSQL server together would keep
    every core of this machine busy, at the CPU cost per message they showed (the bench's own
    polling left out)."""
    cores = os.cpu_count() or 1
    return round(cores * 1e6 / (cpu["smsc"] + cpu["herald"] + cpu.get("database", 0)))


def cpu_ratio(wire_cpu: dict[str, int], pipeline_cpu: dict[str, int]) -> dict[str, object]:
    """Herald's CPU per message (its processes, plus PostgreSQL's server processes when it
    runs on PostgreSQL) against the bare client's; targets: 2.0 on SQLite, 2.7 on PostgreSQL."""
    herald = pipeline_cpu["herald"] + pipeline_cpu.get("database", 0)
    client = wire_cpu["client"]
    return {
        "herald_cpu_us_per_message": herald,
        "client_cpu_us_per_message": client,
        "cpu_ratio": round(herald / client, 2) if client else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=50, help="outstanding submit_sm")
    parser.add_argument(
        "--tps", type=int, default=0, help="the connection's TPS limit, on both sides (0: none)"
    )
    parser.add_argument(
        "--receipt-delay-ms", type=int, default=0, help="the SMSC's delay before each receipt"
    )
    parser.add_argument("--database", default=None, help="a PostgreSQL admin database URL")
    parser.add_argument(
        "--redis",
        default=None,
        help="a Redis URL: with --workers and --tps, the workers share one TPS limit through it "
        "(without it each worker's bind has the limit of its own)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="separate `herald worker` processes, each with its own bind (0: all in serve)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="herald-bench-smpp-") as tmp:
        smsc_port = free_port()
        smsc = start_smsc(smsc_port, Path(tmp) / "smsc.log", args.receipt_delay_ms)
        name = None
        try:
            wire, wire_cpu = asyncio.run(
                bare_client(smsc_port, args.messages, args.window, args.tps, smsc.pid)
            )
            db_url = None
            if args.database:
                db_url, name = fresh_postgres(args.database)
            rate, pipeline_cpu = pipeline(args, smsc.pid, smsc_port, Path(tmp), db_url)
        finally:
            smsc.send_signal(signal.SIGINT)
            smsc.wait(timeout=30)
            if name and args.database:
                drop_postgres(args.database, name)
    print(
        json.dumps(
            {
                "backend": "postgresql" if args.database else "sqlite",
                "messages": args.messages,
                "window": args.window,
                "tps_limit": args.tps or None,
                "workers": args.workers,
                "receipt_delay_ms": args.receipt_delay_ms,
                "wire_per_second": round(wire),
                "pipeline_per_second": round(rate),
                "ratio": round(rate / wire, 2),
                "cpu_us_per_message": {"wire": wire_cpu, "pipeline": pipeline_cpu},
                "cpu_ceiling_per_second": cpu_ceiling(pipeline_cpu),
                **cpu_ratio(wire_cpu, pipeline_cpu),
            }
        )
    )


if __name__ == "__main__":
    main()
