"""A real `kill -9` of a running Herald in the middle of a WhatsApp campaign, configured
with the command line as an operator would: after a restart every message is delivered,
nobody is charged twice, and Meta's webhooks posted while Herald was down land once it is
back (Meta retries them, as the test Cloud API does)."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from support import ServerProcess, herald_cli, wait_until
from whatsapp_cloud import CloudApi, Template

TOTAL = 600
BATCH = 50  # HERALD_DISPATCH_BATCH_SIZE: at most this many are in flight at the kill


@pytest.fixture
def cloud() -> Iterator[CloudApi]:
    api = CloudApi().start()
    api.templates = [Template("black_friday", "en_US", "MARKETING", body="Hi {{1}}!")]
    yield api
    api.stop()


def _count(engine: object, sql: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(sql)).scalar_one())


@pytest.mark.slow
def test_kill_9_mid_whatsapp_campaign_loses_nothing_and_charges_once(
    cloud: CloudApi, db_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(tmp_path / "data"),
        "HERALD_DATABASE_URL": db_url,
        "HERALD_DISPATCH_BATCH_SIZE": str(BATCH),
        "HERALD_LEASE_SECONDS": "3",
        "HERALD_IDLE_POLL_SECONDS": "0.05",
        "HERALD_CONNECTION_REFRESH_SECONDS": "0.5",
    }
    config = cloud.config
    tenant = json.loads(
        herald_cli(
            "tenant",
            "create",
            "--name",
            "Acme",
            "--balance",
            "500",
            "--remitter",
            config.display_phone_number,
            "--json",
            env=env,
        )
    )
    herald_cli(
        "connection",
        "add",
        "--name",
        "wa-main",
        "--type",
        "whatsapp",
        "--phone-number-id",
        config.phone_number_id,
        "--waba-id",
        config.waba_id,
        "--access-token",
        config.access_token,
        "--app-secret",
        config.app_secret,
        "--verify-token",
        "herald-verify",
        "--api-base-url",
        f"{cloud.base_url}/{config.version}",
        "--rate",
        "100",
        env=env,
    )
    herald_cli("route", "add", "--connection", "wa-main", "--channel-type", "WHATSAPP", env=env)
    herald_cli("price", "set", "--channel", "WHATSAPP_MARKETING", "--price", "0.08", env=env)
    herald_cli("whatsapp", "templates", "sync", env=env)

    server = ServerProcess(env, tmp_path / "serve.log")
    current = {"url": server.url}

    def post(body: bytes, headers: dict[str, str]) -> int:
        url = f"{current['url']}/webhooks/whatsapp/wa-main"
        return httpx.post(url, content=body, headers=headers, timeout=30).status_code

    cloud.deliver_to(post)
    body = {
        "name": "Black Friday",
        "remitter_id": tenant["remitter_id"],
        "channel_type": "WHATSAPP",
        "content": "Black Friday",
        "template": {"name": "black_friday", "language": "en_US", "parameters": ["friend"]},
        "recipients": [f"+24492{n:07d}" for n in range(TOTAL)],
    }
    headers = {"X-API-KEY": tenant["api_key"]}
    answer = httpx.post(f"{server.url}/c/v1/campaigns/batch", json=body, headers=headers)
    assert answer.status_code == 202, answer.text

    wait_until(lambda: len(cloud.sent) >= TOTAL // 4, timeout=60, interval=0.01)
    server.kill(signal.SIGKILL)
    assert len(cloud.sent) < TOTAL, "the kill came too late to test anything"

    server = ServerProcess(env, tmp_path / "serve.log")
    current["url"] = server.url
    engine = create_engine(db_url)
    try:
        done = "SELECT count(*) FROM messages WHERE status = 'DELIVERED'"
        wait_until(lambda: _count(engine, done) == TOTAL, timeout=180, interval=0.2)
        server.kill(signal.SIGTERM)
        balance = _count(engine, "SELECT balance_micros FROM billing_accounts")
        ledger = _count(engine, "SELECT sum(amount_micros) FROM ledger_entries")
    finally:
        engine.dispose()
    assert balance == ledger == 500_000_000 - TOTAL * 80_000
    per_person = Counter(s.to for s in cloud.sent)
    assert len(per_person) == TOTAL  # everyone got it
    # Meta has no idempotency key: only what was in flight at the kill may go twice.
    assert sum(n - 1 for n in per_person.values()) <= BATCH
