"""Rate limits per API key and route class on every route, with the IETF draft headers on
every response and Retry-After on every 429; shared through Redis across processes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis

from support import HeraldFactory, start_herald, wait_until

REDIS_URL = os.environ.get("HERALD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("HERALD_REQUIRE_SERVICES") == "1"
NUMBERS = ["+244990000001", "+244990000002"]


def test_every_api_response_names_its_route_class_and_what_is_left(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    read = herald.client.get("/c/v1/campaigns", headers=tenant.headers)
    assert read.headers["RateLimit-Policy"] == '"read";q=600;w=60'
    assert read.headers["RateLimit"].startswith('"read";r=599;t=')
    again = herald.client.get("/c/v1/messages", headers=tenant.headers)
    assert again.headers["RateLimit"].startswith('"read";r=598;')
    write = herald.client.post("/c/v1/campaigns/not-an-id/pause", headers=tenant.headers)
    assert write.status_code == 422
    assert write.headers["RateLimit-Policy"] == '"write";q=120;w=60'
    assert herald.batch(tenant, NUMBERS).headers["RateLimit-Policy"] == '"batch";q=10;w=60'
    unknown = herald.client.get("/c/v1/campaigns", headers={"X-API-KEY": "hk_live_wrong"})
    assert unknown.status_code == 401
    assert unknown.headers["RateLimit"].startswith('"unauthenticated";r=59;')


def test_operations_routes_are_not_limited(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    for path in ("/healthz", "/readyz", "/metrics"):
        assert "RateLimit" not in herald.client.get(path).headers


def test_a_key_over_its_limit_gets_429_with_retry_after_and_others_do_not(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False, read_rate_limit="3/minute")
    tenant, other = herald.tenant(), herald.tenant(name="Other")
    answers = [herald.client.get("/c/v1/campaigns", headers=tenant.headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert limited.json()["trace_id"] == limited.headers["X-Trace-Id"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["RateLimit"].startswith('"read";r=0;')
    assert herald.client.get("/c/v1/campaigns", headers=other.headers).status_code == 200
    # Writes are counted apart from reads.
    write = herald.client.post("/c/v1/campaigns/not-an-id/cancel", headers=tenant.headers)
    assert write.status_code == 422


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} is not reachable: {exc.__class__.__name__}"
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (HERALD_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    return REDIS_URL


class Server:
    """`herald.app:create_app` under uvicorn in a process of its own, on a port the
    kernel picked (the listening socket is handed over)."""

    def __init__(self, db_url: str, data_dir: Path, redis_url: str) -> None:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        self.base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {
            **os.environ,
            "HERALD_DATABASE_URL": db_url,
            "HERALD_DATA_DIR": str(data_dir),
            "HERALD_RUN_WORKERS": "false",
            "HERALD_REDIS_URL": redis_url,
            "HERALD_READ_RATE_LIMIT": "5/minute",
        }
        command = [sys.executable, "-m", "uvicorn", "--factory", "herald.app:create_app"]
        self.process = subprocess.Popen(
            [*command, "--fd", str(listener.fileno()), "--log-level", "warning"],
            env=env,
            pass_fds=(listener.fileno(),),
        )
        listener.close()

    def wait_ready(self) -> str:
        wait_until(lambda: _healthy(self.base), timeout=60, interval=0.1)
        return self.base

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_two_processes_sharing_redis_share_the_counters(
    sqlite_template: Path, tmp_path: Path, redis_url: str
) -> None:
    # Counters live in Redis whatever the database, so one database is enough here.
    database = tmp_path / "herald.sqlite"
    shutil.copy(sqlite_template, database)
    db_url = f"sqlite:///{database}"
    herald = start_herald(db_url, tmp_path / "tenants", False, None, {})
    tenant = herald.tenant()
    herald.close()
    servers = [Server(db_url, tmp_path / name, redis_url) for name in ("one", "two")]
    try:
        bases = [server.wait_ready() for server in servers]
        answers = [
            httpx.get(f"{bases[i % 2]}/c/v1/campaigns", headers=tenant.headers, timeout=10)
            for i in range(6)
        ]
    finally:
        for server in servers:
            server.stop()
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    remaining = [a.headers["RateLimit"].split(";")[1] for a in answers]
    assert remaining == ["r=4", "r=3", "r=2", "r=1", "r=0", "r=0"]
    assert all(a.headers["RateLimit-Policy"] == '"read";q=5;w=60' for a in answers)
    assert int(answers[-1].headers["Retry-After"]) >= 1
