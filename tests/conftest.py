"""Shared fixtures. Every test that takes `db_url` runs once on SQLite and once on
PostgreSQL; PostgreSQL tests skip with a reason when it is unreachable, and fail instead
when HERALD_REQUIRE_SERVICES=1 (as in CI)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from herald.kit import migrate
from herald.kit.db import create_engine_for
from herald.models import Base

PG_ADMIN_URL = os.environ.get(
    "HERALD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("HERALD_REQUIRE_SERVICES") == "1"


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "herald.sqlite"
    engine = create_engine_for(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the local PostgreSQL, migrated once, dropped at the end."""
    reason = _postgres_reachable()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (HERALD_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    name = f"herald_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Tables whose rows a migration seeds; tests start from those rows.
SEEDED = {"prices": "price_micros = 50000 AND country_alpha2 = '*' AND carrier = '*'"}


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        plain = [t for t in tables if t not in SEEDED]
        conn.execute(text(f"TRUNCATE {', '.join(plain)} CASCADE"))
        for table, keep in SEEDED.items():
            conn.execute(text(f"DELETE FROM {table} WHERE NOT ({keep})"))
        conn.execute(text("UPDATE prices SET price_micros = 50000"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "herald.sqlite"
        shutil.copy(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _reset_postgres(url)
    return url


@pytest.fixture
def make_herald(db_url: str, tmp_path: Path) -> Iterator[HeraldFactory]:
    """Start Herald (API + workers + simulator) on the test's database; stopped after."""
    started: list[RunningHerald] = []

    def factory(
        workers: bool = True, clock: Clock | None = None, **overrides: object
    ) -> RunningHerald:
        running = start_herald(db_url, tmp_path / f"data{len(started)}", workers, clock, overrides)
        started.append(running)
        return running

    yield factory
    for running in reversed(started):
        running.close()


@pytest.fixture
def herald(make_herald: HeraldFactory) -> RunningHerald:
    return make_herald()


from support import Clock, HeraldFactory, RunningHerald, start_herald  # noqa: E402
