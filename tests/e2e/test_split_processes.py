"""The API and the workers as separate processes (`serve --no-workers` + `worker`) share
the queue through the database, a worker shows its own metrics, and it stops cleanly on
SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support import ServerProcess, free_port, herald_cli, wait_until


@pytest.mark.slow
def test_an_api_process_and_a_worker_process_complete_a_campaign(
    db_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(tmp_path / "data"),
        "HERALD_DATABASE_URL": db_url,
        "HERALD_SIMULATOR_RECEIPT_DELAY_MS": "50",
    }
    tenant = json.loads(
        herald_cli("tenant", "create", "--name", "Acme", "--balance", "10", "--json", env=env)
    )
    api = ServerProcess(env, tmp_path / "api.log", "--no-workers")
    headers = {"X-API-KEY": tenant["api_key"]}
    body = {
        "name": "split",
        "remitter_id": tenant["remitter_id"],
        "channel_type": "SMS",
        "content": "hi",
        "recipients": ["+244923000001", "+244923000999"],
    }
    campaign_id = httpx.post(f"{api.url}/c/v1/campaigns/batch", json=body, headers=headers).json()[
        "campaign_id"
    ]

    def campaign() -> dict[str, object]:
        found: dict[str, object] = httpx.get(
            f"{api.url}/c/v1/campaigns/{campaign_id}", headers=headers
        ).json()
        return found

    assert campaign()["status"] == "PROCESSING"  # nobody works in the API process
    metrics_port = free_port()
    command = [
        sys.executable,
        "-m",
        "herald.cli.main",
        "worker",
        "--metrics-port",
        str(metrics_port),
    ]
    with (tmp_path / "worker.log").open("ab") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            wait_until(lambda: campaign()["data"]["messages"]["DELIVERED"] == 1, timeout=60)  # type: ignore[index]
            wait_until(lambda: campaign()["data"]["messages"]["UNDELIVERED"] == 1)  # type: ignore[index]
            # The worker's own counters: it, not the API process, handed the messages over.
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
            assert (
                'herald_messages_submitted_total{outcome="ACCEPTED",provider="SIMULATOR"} 2.0'
                in scraped
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0
    assert campaign()["status"] == "COMPLETED"
    api.kill()
