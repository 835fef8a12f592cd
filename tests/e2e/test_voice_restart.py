"""A real `kill -9` of a running Herald with about twenty calls on the line: the restarted
process settles them at once (no lead answered before the crash is called again, the lines
are free within seconds, not after a lease of minutes), and every hold comes back once."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from support import ServerProcess, herald_cli, wait_until
from voice_kit import ANSWERS, number

BALANCE = 50_000_000


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    yield {
        **os.environ,
        "HERALD_DATA_DIR": str(tmp_path / "data"),
        "HERALD_DATABASE_URL": db_url,
        # A conversation of about 75 simulated seconds lasts about 7.5 s.
        "HERALD_VOICE_SIM_TIME_SCALE": "0.1",
        "HERALD_IDLE_POLL_SECONDS": "0.05",
        "HERALD_WRITE_RATE_LIMIT": "10000/minute",
        "HERALD_READ_RATE_LIMIT": "10000/minute",
    }


@pytest.fixture
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], ServerProcess]]:
    """Start `herald serve`; whatever the test's end, no server outlives it."""
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        started.append(ServerProcess(env, tmp_path / "serve.log"))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.kill(signal.SIGKILL)


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _column(engine: Engine, sql: str, **params: Any) -> set[Any]:
    with engine.connect() as conn:
        return {str(value) for (value,) in conn.execute(text(sql), params)}


IN_FLIGHT = "status IN ('queued', 'ringing', 'in_progress')"


def _start_campaign(server: ServerProcess, api_key: str) -> None:
    api = httpx.Client(base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {api_key}"})
    assert api.post("/phone-numbers", json={"phone_number": "+351211234567"}).status_code == 201
    agent = api.post(
        "/agents",
        json={"name": "Renewals", "greeting": "Hello.", "message": "Your policy renews soon."},
    )
    assert agent.status_code == 201, agent.text
    leads = [number(i, ANSWERS) for i in range(30)] + [number(i) for i in range(30, 40)]
    campaign = api.post(
        "/campaigns",
        json={
            "name": "Renewals",
            "agent_id": agent.json()["id"],
            "from_phone_number": "+351211234567",
            "max_concurrent_calls": 20,
            "retry": {"max_retries": 1, "retry_interval_minutes": 1},
            "leads": [{"phone_number": n} for n in leads],
        },
    )
    assert campaign.status_code == 201, campaign.text


@pytest.mark.slow
def test_kill_9_with_calls_up_frees_the_lines_at_once_and_calls_no_answered_lead_again(
    env: dict[str, str], db_url: str, serve: Callable[[], ServerProcess]
) -> None:
    tenant = json.loads(
        herald_cli("tenant", "create", "--name", "Acme", "--balance", "50", "--json", env=env)
    )
    engine = create_engine(db_url)
    server = serve()
    _start_campaign(server, tenant["api_key"])
    answered_now = "SELECT count(*) FROM calls WHERE status = 'in_progress'"
    wait_until(lambda: _scalar(engine, answered_now) >= 12, timeout=60, interval=0.05)
    server.kill(signal.SIGKILL)

    on_line = _scalar(engine, f"SELECT count(*) FROM calls WHERE {IN_FLIGHT}")
    assert on_line >= 15, "the kill came too late to test anything"
    answered_leads = _column(engine, "SELECT lead_id FROM calls WHERE answered_at IS NOT NULL")
    calls_before = _scalar(engine, "SELECT count(*) FROM calls")
    restarted_at = datetime.now(UTC)
    server = serve()

    # Within seconds of being ready, the old calls are settled and the lines dial again (the
    # lease would have held them for 8 minutes).
    old_in_flight = f"SELECT count(*) FROM calls WHERE {IN_FLIGHT} AND created_at < :at"
    wait_until(lambda: _scalar(engine, old_in_flight, at=restarted_at) == 0, timeout=10)
    wait_until(lambda: _scalar(engine, "SELECT count(*) FROM calls") > calls_before, timeout=10)
    # Everyone called once and nothing on the line (retries wait their interval).
    wait_until(
        lambda: (
            _scalar(engine, f"SELECT count(*) FROM calls WHERE {IN_FLIGHT}") == 0
            and _scalar(engine, "SELECT count(*) FROM call_leads WHERE attempts = 0") == 0
        ),
        timeout=60,
    )
    server.kill(signal.SIGTERM)

    with engine.connect() as conn:
        leads = conn.execute(text("SELECT id, status FROM call_leads"))
        status_of = {str(id): status for id, status in leads}
        calls_of = {
            str(id): n
            for id, n in conn.execute(text("SELECT lead_id, count(*) FROM calls GROUP BY lead_id"))
        }
        balance = conn.execute(text("SELECT balance_micros FROM billing_accounts")).scalar_one()
        ledger = conn.execute(text("SELECT sum(amount_micros) FROM ledger_entries")).scalar_one()
        cost = conn.execute(text("SELECT sum(cost_micros) FROM calls")).scalar_one()
        releases = [
            reference.removeprefix("release:call:").replace("-", "")
            for (reference,) in conn.execute(
                text("SELECT reference FROM ledger_entries WHERE reference LIKE 'release:call:%'")
            )
        ]
        owed = {
            str(id).replace("-", "")
            for (id,) in conn.execute(text("SELECT id FROM calls WHERE held_micros > cost_micros"))
        }
    engine.dispose()

    for lead in answered_leads:
        # Answered before the crash: finished, and called that one time only.
        assert (status_of[lead], calls_of[lead]) == ("completed", 1)
    # Money: what calls cost and nothing more left the wallet; each hold came back once.
    assert balance == ledger == BALANCE - cost
    assert len(releases) == len(set(releases))
    assert owed <= set(releases)
