"""Database plumbing shared by every domain: metadata, column types, engine and sessions.

Nothing here connects at import time; `create_engine_for` is called by bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from herald.kit.writer import WriterTurn

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL, JSON text elsewhere.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the backend: SQLite gets WAL, a busy timeout and immediate
    transactions (one writer at a time, no lock upgrades that fail with SQLITE_BUSY).
    A failed statement's error names the SQL but not its parameters: they are phone
    numbers, contents and key hashes, and errors end up in logs."""
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
            **kwargs,
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, **kwargs)


_WRITER_WAIT_SECONDS = 30.0  # as SQLite's busy_timeout below


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers take no lock in WAL mode; writers queue up front instead of failing later.
        # Sent to sqlite3 directly: SQLAlchemy's statement machinery (execution context,
        # cursor, result) cost more than the BEGIN itself, once per transaction (issue 12).
        deferred = conn.get_execution_options().get("herald_read_only", False)
        conn.connection.driver_connection.execute("BEGIN" if deferred else "BEGIN IMMEDIATE")


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction has committed; never if it rolls back."""
    event.listen(session, "after_commit", lambda _session: action(), once=True)


def lock_until_commit(session: Session, key: str) -> None:
    """Hold the lock named `key` until the session's transaction ends, across processes:
    a PostgreSQL advisory lock. On SQLite nothing: it has one writer, whose turn is the lock."""
    if is_postgres(session):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def is_postgres(engine_or_session: Engine | Session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "postgresql"


class Database:
    """The engine and a session factory; `transaction()` is the unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(herald_read_only=True), expire_on_commit=False
        )
        # SQLite has one writer: threads of this process take turns here (see kit/writer.py).
        self._writer = WriterTurn() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._writer_turn(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        if self._writer is None:
            yield
            return
        # Past the busy timeout, go on and let SQLite decide, as without this lock.
        taken = self._writer.acquire(timeout=_WRITER_WAIT_SECONDS)
        try:
            yield
        finally:
            if taken:
                self._writer.release()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (no write lock on SQLite)."""
        with self._readers() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
