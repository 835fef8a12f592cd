"""What every CLI command needs: settings, a migrated database, a clock, output helpers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from herald.errors import HeraldError
from herald.kit import migrate
from herald.kit.clock import SystemClock
from herald.kit.db import Database, create_engine_for
from herald.settings import Settings

clock = SystemClock()
console = Console()


@contextmanager
def transaction() -> Iterator[Session]:
    """A migrated database and one transaction; a HeraldError becomes a clean exit 1."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine_for(settings.effective_database_url)
    try:
        migrate.upgrade(engine)
        with Database(engine).transaction() as session:
            yield session
    except HeraldError as exc:
        detail = getattr(exc, "fields", None)
        console.print(f"[red]error:[/red] {exc.message}" + (f" {detail}" if detail else ""))
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} must be a UUID") from exc


def emit(data: dict[str, Any], as_json: bool, title: str = "") -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    table = Table(title=title or None, show_header=False)
    for key, value in data.items():
        table.add_row(key, str(value))
    console.print(table)


def emit_rows(rows: Sequence[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(list(rows), default=str))
        return
    table = Table(title=title)
    for column in rows[0] if rows else ["(none)"]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
