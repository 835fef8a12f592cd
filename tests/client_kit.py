"""A running Herald reachable over real HTTP (uvicorn on 127.0.0.1 in a thread), for the
client and the CLI, which talk to a server by URL like any remote user."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from support import RunningHerald, free_port, wait_until


@contextmanager
def served(herald: RunningHerald) -> Iterator[str]:
    """Serve the app of a started Herald (its lifespan already ran) at the URL yielded."""
    port = free_port()
    config = uvicorn.Config(
        herald.client.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
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
