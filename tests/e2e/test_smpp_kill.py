"""Three `kill -9`s of Herald during a 10,000-message campaign over SMPP, against the test
SMSC over TCP: nothing is lost, and the SMSC gets at most the ambiguous part of the traffic
twice (the submits on the wire without an answer, at most a window, and the answers not
yet recorded, at most another), every such part counted in herald_smpp_parts_resent_total."""

from __future__ import annotations

import json
import os
import re
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from herald.providers.smpp.smsc import SmscBehaviour, SmscThread
from smpp_harness import add_connection, add_route, numbers
from support import ServerProcess, herald_cli, wait_until

TOTAL = 10_000
WINDOW = 50
KILLS = 3
_RESENT = re.compile(r'^herald_smpp_parts_resent_total\{connection="carrier-a"\} (\S+)$', re.M)


@pytest.fixture
def smsc() -> Iterator[SmscThread]:
    peer = SmscThread(SmscBehaviour(receipt_delay=0.02))
    peer.start()
    yield peer
    peer.stop()


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _resent(server: ServerProcess) -> int:
    found = _RESENT.search(httpx.get(f"{server.url}/metrics").text)
    return int(float(found.group(1))) if found else 0


@pytest.mark.slow
def test_three_kill_9s_over_smpp_lose_nothing_and_resend_at_most_the_window(
    db_url: str, tmp_path: Path, smsc: SmscThread
) -> None:
    env = {
        **os.environ,
        "HERALD_DATA_DIR": str(tmp_path / "data"),
        "HERALD_DATABASE_URL": db_url,
        "HERALD_LEASE_SECONDS": "3",
        "HERALD_IDLE_POLL_SECONDS": "0.05",
        "HERALD_SMPP_RESPONSE_TIMEOUT_SECONDS": "1",
    }
    tenant = json.loads(
        herald_cli("tenant", "create", "--name", "Acme", "--balance", "5000", "--json", env=env)
    )
    add_connection(db_url, "carrier-a", smsc.port, window=WINDOW, tps=100_000)
    add_route(db_url, "carrier-a")
    log = tmp_path / "serve.log"
    server = ServerProcess(env, log)
    recipients = numbers(TOTAL)
    for start in range(0, TOTAL, 1000):
        body = {
            "name": f"part {start}",
            "remitter_id": tenant["remitter_id"],
            "channel_type": "SMS",
            "content": "Flash Sale!",
            "recipients": recipients[start : start + 1000],
        }
        headers = {"X-API-KEY": tenant["api_key"]}
        response = httpx.post(f"{server.url}/c/v1/campaigns/batch", json=body, headers=headers)
        assert response.status_code == 202, response.text

    engine = create_engine(db_url)
    handed = "SELECT count(*) FROM messages WHERE status <> 'PENDING'"
    counted = 0
    for kill in range(1, KILLS + 1):
        mark = kill * TOTAL // 5
        wait_until(lambda: _count(engine, handed) >= mark, timeout=120, interval=0.01)  # noqa: B023
        counted += _resent(server)
        server.kill(signal.SIGKILL)
        assert _count(engine, handed) < TOTAL, "the kill came too late to test anything"
        server = ServerProcess(env, log)
    open_messages = "SELECT count(*) FROM messages WHERE status IN ('PENDING', 'SENT')"
    wait_until(lambda: _count(engine, open_messages) == 0, timeout=180, interval=0.1)
    counted += _resent(server)
    server.kill(signal.SIGTERM)

    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM messages GROUP BY status")).all()
        )
        balance = conn.execute(text("SELECT balance_micros FROM billing_accounts")).scalar_one()
        ledger = conn.execute(text("SELECT sum(amount_micros) FROM ledger_entries")).scalar_one()
    engine.dispose()
    assert statuses == {"DELIVERED": TOTAL}  # none lost
    assert balance == ledger
    assert smsc.smsc is not None
    copies = Counter(a.destination for a in smsc.smsc.accepted)
    assert len(copies) == TOTAL
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= 2 * WINDOW * KILLS, duplicates
    assert counted >= duplicates  # every duplicate counted (and the ambiguous rest too)
    print(f"duplicates at the SMSC: {duplicates}; counted as resent: {counted}")
