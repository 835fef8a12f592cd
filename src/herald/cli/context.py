"""What every CLI command needs: settings, a migrated database, a clock, output helpers.

Importing this module (and every command module) stays cheap: `herald --help` must not
load SQLAlchemy, Alembic or the domains. Commands import what they use when they run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from herald.errors import ValidationFailed
from herald.kit.clock import SystemClock

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

clock = SystemClock()


@contextmanager
def transaction() -> Iterator[Session]:
    """A migrated database and one transaction. A HeraldError raised inside reaches the
    command line's one error handler (herald.cli.main), which prints it in one line."""
    from herald.kit import migrate
    from herald.kit.db import Database, create_engine_for
    from herald.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine_for(settings.effective_database_url)
    try:
        migrate.upgrade(engine)
        with Database(engine).transaction() as session:
            yield session
    finally:
        engine.dispose()


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed({what: "must be an id (a UUID)."}) from exc


def amount_of(value: str, what: str) -> int:
    """Micro-units of an amount given on the command line, e.g. "19.99"."""
    from herald.kit.money import to_micros

    try:
        return to_micros(value)
    except ValueError as exc:
        raise ValidationFailed({what: "must be an amount, e.g. 100 or 19.99."}) from exc


def organization(session: Session, value: str, what: str = "--org") -> uuid.UUID:
    """The id of an existing organization, or NotFound naming it."""
    from herald.tenancy import service as tenancy

    organization_id = parse_id(value, what)
    tenancy.require_organization(session, organization_id)
    return organization_id


def emit(data: dict[str, Any], as_json: bool, title: str = "") -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None, show_header=False)
    for key, value in data.items():
        table.add_row(key, str(value))
    Console().print(table)


def emit_rows(rows: Sequence[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(list(rows), default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in rows[0] if rows else ["(none)"]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console().print(table)
