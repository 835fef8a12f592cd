"""A real `kill -9` of a running Herald in the middle of a campaign: after a restart every
message is handed over exactly once, every receipt lands, and the ledger balances."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from support import ServerProcess, herald_cli, wait_until

BATCHES = 3
PER_BATCH = 1000


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    yield {
        **os.environ,
        "HERALD_DATA_DIR": str(tmp_path / "data"),
        "HERALD_DATABASE_URL": db_url,
        "HERALD_SIMULATOR_SUBMIT_LATENCY_MS": "25",
        "HERALD_SIMULATOR_RECEIPT_DELAY_MS": "300",
        "HERALD_DISPATCH_BATCH_SIZE": "50",
        "HERALD_LEASE_SECONDS": "3",
        "HERALD_IDLE_POLL_SECONDS": "0.05",
    }


def _count(engine: object, sql: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(sql)).scalar_one())


@pytest.mark.slow
def test_kill_9_mid_campaign_loses_nothing_and_sends_nothing_twice(
    env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    tenant = json.loads(
        herald_cli("tenant", "create", "--name", "Acme", "--balance", "500", "--json", env=env)
    )
    server = ServerProcess(env, tmp_path / "serve.log")
    headers = {"X-API-KEY": tenant["api_key"]}
    for batch in range(BATCHES):
        numbers = [f"+244923{batch}{i:05d}" for i in range(PER_BATCH)]
        body = {
            "name": f"batch {batch}",
            "remitter_id": tenant["remitter_id"],
            "channel_type": "SMS",
            "content": "Flash Sale!",
            "recipients": numbers,
        }
        response = httpx.post(f"{server.url}/c/v1/campaigns/batch", json=body, headers=headers)
        assert response.status_code == 202, response.text

    engine = create_engine(db_url)
    total = BATCHES * PER_BATCH
    sent = "SELECT count(*) FROM messages WHERE status <> 'PENDING'"
    wait_until(lambda: _count(engine, sent) >= total // 4, timeout=60, interval=0.01)
    server.kill(signal.SIGKILL)
    handed_over_before_kill = _count(engine, sent)
    assert handed_over_before_kill < total, "the kill came too late to test anything"

    server = ServerProcess(env, tmp_path / "serve.log")
    open_messages = "SELECT count(*) FROM messages WHERE status IN ('PENDING', 'SENT')"
    wait_until(lambda: _count(engine, "SELECT count(*) FROM messages") == total, timeout=60)
    wait_until(lambda: _count(engine, open_messages) == 0, timeout=120)
    server.kill(signal.SIGTERM)

    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM messages GROUP BY status")).all()
        )
        refs = conn.execute(
            text("SELECT count(DISTINCT provider_message_id) FROM messages")
        ).scalar_one()
        campaigns = {s for (s,) in conn.execute(text("SELECT status FROM campaigns"))}
        balance = conn.execute(text("SELECT balance_micros FROM billing_accounts")).scalar_one()
        ledger = conn.execute(text("SELECT sum(amount_micros) FROM ledger_entries")).scalar_one()
        charged = conn.execute(
            text("SELECT sum(cost_micros) FROM messages WHERE NOT is_refunded")
        ).scalar_one()
    engine.dispose()
    assert sum(statuses.values()) == total
    assert set(statuses) <= {"DELIVERED", "UNDELIVERED", "EXPIRED", "FAILED", "REJECTED"}
    # One carrier id per accepted message: none was handed over as two messages.
    assert refs == total - statuses.get("REJECTED", 0)
    assert campaigns == {"COMPLETED"}
    assert balance == ledger == 500_000_000 - charged

    journal = Path(env["HERALD_DATA_DIR"]) / "simulator-journal.jsonl"
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    accepted = [line["ref"] for line in lines if line["op"] == "submit"]
    receipted = {line["ref"] for line in lines if line["op"] == "ack"}
    # The carrier took each message once.
    assert len(accepted) == len(set(accepted))
    assert len(receipted | set(accepted)) == total - statuses.get("REJECTED", 0)
