"""Alembic environment: runs against the connection handed over by herald.kit.migrate,
or against HERALD_DATABASE_URL when called from the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from herald.kit.db import create_engine_for
from herald.models import Base
from herald.settings import Settings

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine_for(Settings().effective_database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
