"""What the commands that talk to a Herald server over HTTP share: the client (from
HERALD_URL and HERALD_API_KEY), one plain stderr line per error, and output as Rich tables
or, with --json, as JSON. Heavy imports happen inside functions, so `herald --help` stays
fast."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from herald.client import Herald, RetryPolicy

Json = Annotated[bool, typer.Option("--json", help="Print JSON (no colours, no tables).")]
Limit = Annotated[int, typer.Option(help="How many to show, newest first.")]
DEFAULT_URL = "http://127.0.0.1:8080"


def connect(retry: RetryPolicy | None = None) -> Herald:
    """A client for the server at HERALD_URL with the key in HERALD_API_KEY."""
    from herald.client import Herald

    api_key = os.environ.get("HERALD_API_KEY")
    if not api_key:
        fail("HERALD_API_KEY is not set (an API key, e.g. from `herald tenant create`)")
    return Herald(os.environ.get("HERALD_URL") or DEFAULT_URL, api_key, retry=retry)


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def reporting() -> Iterator[None]:
    """A client error becomes one line on stderr (the API's message and trace id), exit 1."""
    from herald.client import HeraldClientError

    try:
        yield
    except HeraldClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def plain(resource: Any) -> Any:
    """A resource (or list of them) as JSON-ready data, named as the API names its fields."""
    if isinstance(resource, list):
        return [plain(item) for item in resource]
    if isinstance(resource, dict):
        return {key: plain(value) for key, value in resource.items()}
    if hasattr(resource, "model_dump"):
        return resource.model_dump(mode="json", by_alias=True)
    return resource


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(plain(data), default=str) + "\n")


def show(resource: Any, as_json: bool, title: str = "") -> None:
    if as_json:
        print_json(resource)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None, show_header=False)
    for key, value in plain(resource).items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    Console().print(table)


def show_rows(resources: Sequence[Any], columns: Sequence[str], as_json: bool, title: str) -> None:
    if as_json:
        print_json(list(resources))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        # Ids are for copying: never cut, the other columns wrap around them.
        table.add_column(column, no_wrap=column.endswith("id"), min_width=None)
    for resource in resources:
        row = plain(resource)
        table.add_row(*(_cell(row.get(column)) for column in columns))
    Console().print(table)


def _cell(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)
