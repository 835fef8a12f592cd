"""A running Herald reachable over real HTTP (uvicorn on 127.0.0.1 in a thread), for the
client and the CLI, which talk to a server by URL like any remote user."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from support import RunningHerald, Tenant, free_port, wait_until


@contextmanager
def served(herald: RunningHerald) -> Iterator[str]:
    """Serve the app of a started Herald (its lifespan already ran) at the URL yielded."""
    port = free_port()
    config = uvicorn.Config(
        herald.client.app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,  # a client left open must not hold the test up
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def account_group(herald: RunningHerald, tenant: Tenant, name: str = "Sales") -> str:
    """An outreach account group of the tenant that its key may use."""
    import uuid

    from herald.outreach import access

    clock = herald.container.clock
    with herald.container.db.transaction() as session:
        group = access.create_group(session, clock, uuid.UUID(tenant.organization_id), name)
        access.grant(session, clock, group.id, uuid.UUID(tenant.key_id))
        return str(group.id)


def operations_of(openapi: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, path template) of every API operation a server lists, but health and metrics."""
    skipped = {"/healthz", "/readyz", "/metrics"}
    return {
        (method.upper(), path)
        for path, item in openapi["paths"].items()
        if path not in skipped
        for method in item
    }


class Recorder:
    """Records (method, path template) of each request a client sends, as an httpx hook."""

    def __init__(self, operations: set[tuple[str, str]]) -> None:
        self.patterns = [(m, p, _pattern(p)) for m, p in operations]
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, request: httpx.Request) -> None:
        for method, path, pattern in self.patterns:
            if request.method == method and pattern.fullmatch(request.url.path):
                self.seen.add((method, path))

    async def hook(self, request: httpx.Request) -> None:
        self(request)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))
