"""WhatsApp benchmark: messages per second through Herald's whole pipeline over the Cloud API,
beside the same test Cloud API (tests/whatsapp_cloud.py) driven alone.

1. Alone: this script sends N template messages straight to the test Cloud API from
   `--concurrency` threads (as many requests in flight as the connection keeps); its status
   webhooks go nowhere. The rate a bare client gets from that server on this machine.
2. Pipeline: `herald serve` with a WhatsApp connection (`--rate` messages/s, default far
   above Meta's 80 so the pipeline is what is measured), a WHATSAPP route and a synced
   template; N messages in batches of 1,000 through /c/v1/campaigns/batch. The clock stops
   when every message is DELIVERED: accepted, billed, expanded, dispatched over HTTPS-less
   HTTP to the test server, and settled by its signed status webhooks posted back to Herald.

    uv run python bench/whatsapp.py                           # SQLite, 5,000 messages
    uv run python bench/whatsapp.py --messages 2000 --rate 80  # Meta's default throughput
    uv run python bench/whatsapp.py --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from pipeline import drop_postgres, free_port, fresh_postgres, herald, wait_ready  # noqa: E402

from whatsapp_cloud import CloudApi, CloudConfig, Template  # noqa: E402

PER_BATCH = 1000
TEMPLATE = Template("black_friday", "en_US", "MARKETING", body="Hi {{1}}, {{2}} off today only.")
PARAMETERS = ["friend", "30%"]


def numbers(count: int) -> list[str]:
    return [f"+24492{n:07d}" for n in range(count)]


def alone(count: int, concurrency: int) -> float:
    """Messages/s of the test Cloud API driven by a bare client."""
    cloud = CloudApi(CloudConfig(throughput=1e9)).start()
    cloud.templates = [TEMPLATE]
    cloud.deliver_to(lambda body, headers: 200)
    url = f"{cloud.base_url}/{cloud.config.version}/{cloud.config.phone_number_id}/messages"
    headers = {"authorization": f"Bearer {cloud.config.access_token}"}
    client = httpx.Client(limits=httpx.Limits(max_connections=concurrency * 2))

    def send(to: str) -> None:
        body = {
            "messaging_product": "whatsapp",
            "to": to.lstrip("+"),
            "type": "template",
            "template": {
                "name": TEMPLATE.name,
                "language": {"code": TEMPLATE.language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": p} for p in PARAMETERS],
                    }
                ],
            },
        }
        assert client.post(url, json=body, headers=headers).status_code == 200

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, numbers(count)))
    elapsed = time.perf_counter() - started
    client.close()
    cloud.stop()
    return count / elapsed


def pipeline(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> float:
    """Messages/s through `herald serve` to DELIVERED."""
    cloud = CloudApi(CloudConfig(throughput=1e9, read_receipts=False, webhook_batch=100)).start()
    cloud.templates = [TEMPLATE]
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(data_dir),
        "HERALD_BATCH_RATE_LIMIT": "100000/minute",
        "HERALD_LOG_FORMAT": "json",
        "HERALD_CONNECTION_REFRESH_SECONDS": "1",
    }
    if database_url:
        env["HERALD_DATABASE_URL"] = database_url
    config = cloud.config
    tenant = json.loads(
        herald(
            "tenant", "create", "--name", "Bench", "--balance", "1000000",
            "--remitter", config.display_phone_number, "--json", env=env,
        )
    )  # fmt: skip
    herald(
        "connection", "add", "--name", "wa-bench", "--type", "whatsapp",
        "--phone-number-id", config.phone_number_id, "--waba-id", config.waba_id,
        "--access-token", config.access_token, "--app-secret", config.app_secret,
        "--verify-token", "bench", "--api-base-url", f"{cloud.base_url}/{config.version}",
        "--rate", str(args.rate), env=env,
    )  # fmt: skip
    herald("route", "add", "--connection", "wa-bench", "--channel-type", "WHATSAPP", env=env)
    herald("price", "set", "--channel", "WHATSAPP_MARKETING", "--price", "0.01", env=env)
    herald("whatsapp", "templates", "sync", env=env)
    port = free_port()
    log = (data_dir / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "herald.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    cloud.deliver_to(f"{base}/webhooks/whatsapp/wa-bench")
    engine = create_engine(database_url or f"sqlite:///{data_dir / 'herald.sqlite'}")
    try:
        wait_ready(base)
        time.sleep(2)  # the connection opens within HERALD_CONNECTION_REFRESH_SECONDS
        recipients = numbers(args.messages)
        started = time.perf_counter()
        for start in range(0, len(recipients), PER_BATCH):
            body = {
                "name": f"bench {start}",
                "remitter_id": tenant["remitter_id"],
                "channel_type": "WHATSAPP",
                "content": "Black Friday",
                "template": {"name": TEMPLATE.name, "language": "en_US", "parameters": PARAMETERS},
                "recipients": recipients[start : start + PER_BATCH],
            }
            answer = httpx.post(
                f"{base}/c/v1/campaigns/batch",
                json=body,
                headers={"X-API-KEY": tenant["api_key"]},
                timeout=60,
            )
            assert answer.status_code == 202, answer.text
        query = text("SELECT count(*) FROM messages WHERE status = 'DELIVERED'")
        while True:
            with engine.connect() as conn:
                if conn.execute(query).scalar_one() >= args.messages:
                    break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
        engine.dispose()
        cloud.stop()
    return args.messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=5000.0, help="connection's msg/s cap")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (alone)")
    parser.add_argument("--database", help="a PostgreSQL admin URL (default: SQLite)")
    args = parser.parse_args()
    bare = alone(args.messages, args.concurrency)
    print(f"test Cloud API alone: {bare:,.0f} msg/s ({args.concurrency} in flight)")
    with tempfile.TemporaryDirectory() as tmp:
        database_url, name = fresh_postgres(args.database) if args.database else (None, "")
        try:
            through = pipeline(args, Path(tmp), database_url)
        finally:
            if name:
                drop_postgres(args.database, name)
    print(f"pipeline to DELIVERED: {through:,.0f} msg/s (connection rate {args.rate:g}/s)")
    print(f"pipeline / alone: {through / bare:.2f}")


if __name__ == "__main__":
    main()
