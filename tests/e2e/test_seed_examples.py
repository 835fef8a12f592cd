"""The seeds' own httpx examples, run against a real `herald serve` with only the base URL
and the key changed, get the documented answers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from support import ServerProcess, herald_cli, wait_until


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> object:
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(tmp_path / "data"),
        "HERALD_DATABASE_URL": db_url,
        "HERALD_SIMULATOR_RECEIPT_DELAY_MS": "50",
    }
    tenant = json.loads(
        herald_cli("tenant", "create", "--name", "Ziett", "--balance", "100", "--json", env=env)
    )
    process = ServerProcess(env, tmp_path / "serve.log")
    yield process.url, tenant
    process.kill()


@pytest.mark.slow
def test_the_seed_examples_get_the_documented_answers(server: tuple[str, dict[str, str]]) -> None:
    base, tenant = server
    # Seed 003: Send Batch Campaign.
    response = httpx.post(
        f"{base}/c/v1/campaigns/batch",
        headers={"X-API-KEY": tenant["api_key"], "Content-Type": "application/json"},
        json={
            "name": "Black Friday Promo - Luanda",
            "remitter_id": tenant["remitter_id"],
            "channel_type": "SMS",
            "country_alpha2": "AO",
            "content": "Flash Sale! Enjoy 50% off on all items this weekend only.",
            "recipients": [
                "+244990000001",
                "+244990000002",
                "990000003",  # Will be parsed using country_alpha2 'AO'
            ],
        },
    )
    assert response.status_code == 202
    campaign_id = response.json()["campaign_id"]

    # Seed 000: Retrieve Campaign.
    def campaign() -> dict[str, object]:
        found: dict[str, object] = httpx.get(
            f"{base}/c/v1/campaigns/{campaign_id}", headers={"X-API-KEY": tenant["api_key"]}
        ).json()
        return found

    wait_until(lambda: campaign()["status"] == "COMPLETED")
    body = campaign()
    assert body["name"] == "Black Friday Promo - Luanda"
    assert body["total_estimated_recipients"] == 3
    assert body["channel_type"] == "SMS"

    # Seed 002: Retrieve Message.
    listing = httpx.get(
        f"{base}/c/v1/messages",
        params={"campaign_id": campaign_id},
        headers={"X-API-KEY": tenant["api_key"]},
    ).json()
    message_id = listing["data"][0]["id"]
    message = httpx.get(
        f"{base}/c/v1/messages/{message_id}", headers={"X-API-KEY": tenant["api_key"]}
    ).json()
    assert message["campaign_id"] == campaign_id
    assert message["e164_format"].startswith("+24499000000")

    # The documented errors.
    bad_key = httpx.get(f"{base}/c/v1/campaigns/{campaign_id}", headers={"X-API-KEY": "zk_live_x"})
    assert (bad_key.status_code, bad_key.json()["code"]) == (401, "AUTH_INVALID_API_KEY")
    missing = httpx.get(
        f"{base}/c/v1/campaigns/019b4b56-e704-7c30-83a0-527df63c3e00",
        headers={"X-API-KEY": tenant["api_key"]},
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
