"""An unexpected failure answers 500 in the dialect's envelope, keeps the client's
connection open, and is logged with a plain traceback that holds no local variables;
the docs load without the Internet."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from sqlalchemy import text

from herald.app import create_app
from herald.kit.logging import configure_logging, flush_logs, stop_logging
from support import HeraldFactory, RunningHerald, free_port, wait_until

WEBHOOKS = "webhook_endpoints"


@contextmanager
def table_missing(herald: RunningHerald, table: str) -> Iterator[None]:
    """A fault no request can cause: a table the routes need is gone for a while."""
    engine = herald.container.db.engine
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        engine.dispose()  # SQLite connections may have cached the old schema
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))


@contextmanager
def served_over_tcp(herald: RunningHerald) -> Iterator[str]:
    """The same Herald behind a real uvicorn on a free local port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(herald.container, start_workers=False),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=15)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def client_port(response: httpx.Response) -> int:
    stream = response.extensions["network_stream"]
    port: int = stream.get_extra_info("socket").getsockname()[1]
    return port


def test_after_a_500_the_next_request_on_the_same_connection_is_answered(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    with served_over_tcp(herald) as url, httpx.Client(base_url=url, timeout=10) as client:
        with table_missing(herald, WEBHOOKS):
            failed = client.get("/c/v1/webhooks", headers=tenant.headers)
        assert failed.status_code == 500
        assert failed.json()["code"] == "INTERNAL_ERROR"
        assert failed.json()["trace_id"] == failed.headers["X-Trace-Id"]
        assert failed.headers.get("connection", "").lower() != "close"
        following = client.get("/c/v1/webhooks", headers=tenant.headers)
        assert following.status_code == 200
        assert client_port(following) == client_port(failed)  # one TCP connection


@pytest.mark.parametrize(
    ("path", "envelope"),
    [
        ("/c/v1/webhooks", lambda body: body["code"] == "INTERNAL_ERROR"),
        ("/v1/campaigns", lambda body: body["error"]["code"] == "internal_error"),
        ("/v1/accounts", lambda body: body["error"]["code"] == "INTERNAL_ERROR"),
    ],
)
def test_a_500_speaks_the_envelope_of_the_api_it_happened_in(
    make_herald: HeraldFactory, path: str, envelope: Any
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    headers = {**tenant.headers, "Authorization": f"Bearer {tenant.api_key}"}
    with table_missing(herald, "api_keys"):
        failed = herald.client.get(path, headers=headers)
    assert failed.status_code == 500
    assert envelope(failed.json())


@pytest.fixture(params=["console", "json"])
def captured_logs(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(request.param, stream=stream)
    yield stream
    stop_logging()
    structlog.reset_defaults()


def test_a_500_is_logged_with_a_traceback_but_no_local_variables(
    make_herald: HeraldFactory, captured_logs: io.StringIO
) -> None:
    herald = make_herald(workers=False, webhook_allow_networks="127.0.0.0/8")
    tenant = herald.tenant()
    secret = "personal-data-0d4e1c"  # held by the route's local `body`, and a SQL parameter
    with table_missing(herald, WEBHOOKS):
        failed = herald.client.post(
            "/c/v1/webhooks",
            json={
                "url": "http://127.0.0.1:9/hooks",
                "event_types": ["campaign.status_changed"],
                "description": secret,
            },
            headers=tenant.headers,
        )
    assert failed.status_code == 500
    flush_logs()
    written = captured_logs.getvalue()
    assert "http.unhandled" in written and failed.json()["trace_id"] in written
    assert "Traceback (most recent call last)" in written and WEBHOOKS in written
    assert secret not in written
    assert tenant.api_key not in written


def test_a_log_call_returns_before_a_slow_terminal_has_written_the_line() -> None:
    class SlowTerminal(io.StringIO):
        gate = threading.Event()

        def write(self, text: str) -> int:
            self.gate.wait(timeout=10)
            return super().write(text)

    terminal = SlowTerminal()
    configure_logging("console", stream=terminal)
    try:
        structlog.get_logger("test").error("written.later")  # would block if written here
        assert "written.later" not in terminal.getvalue()
        SlowTerminal.gate.set()
        flush_logs()
        assert "written.later" in terminal.getvalue()
    finally:
        SlowTerminal.gate.set()
        stop_logging()
        structlog.reset_defaults()


def test_the_docs_load_their_assets_from_herald_itself(herald: RunningHerald) -> None:
    for page in ("/docs", "/redoc"):
        html = herald.client.get(page)
        assert html.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/") and not asset.startswith("//"), asset
            assert herald.client.get(asset).status_code == 200, asset
        assert "cdn" not in html.text.lower() and "https://" not in html.text
