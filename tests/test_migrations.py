"""The migrations build exactly the schema the models describe, on both databases, so that
a model changed without its migration is caught here rather than in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import herald.bootstrap  # noqa: F401  (imports every domain's models)
from herald.kit.db import Base


def test_the_migrated_schema_matches_the_models(db_url: str) -> None:
    engine = create_engine(db_url)  # migrated by the db_url fixture
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
