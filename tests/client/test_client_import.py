"""The client is for programs that start often (the CLI among them): importing it must not
load the server side."""

from __future__ import annotations

import subprocess
import sys

SERVER_SIDE = ("fastapi", "starlette", "sqlalchemy", "alembic", "herald.settings", "herald.app")


def test_importing_the_client_loads_nothing_of_the_server() -> None:
    probe = (
        f"import sys, herald.client;print(','.join(m for m in {SERVER_SIDE!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
