"""herald carrier: operator overrides of carrier detection by number prefix."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import clock, emit, emit_rows, transaction

carrier_app = typer.Typer(help="Carrier detection overrides.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@carrier_app.command("set")
def set_prefix(
    prefix: Annotated[str, typer.Option(help="E.164 prefix, e.g. +2449900.")],
    carrier: Annotated[str, typer.Option(help="Carrier code, e.g. UNITEL.")],
    as_json: Json = False,
) -> None:
    """Numbers starting with PREFIX belong to CARRIER (the longest prefix wins)."""
    from herald.routing import service as routing

    with transaction() as session:
        row = routing.set_carrier_prefix(session, clock, prefix, carrier)
        data = {"prefix": row.prefix, "carrier": row.carrier}
    emit(data, as_json)


@carrier_app.command("remove")
def remove_prefix(prefix: Annotated[str, typer.Option(help="E.164 prefix.")]) -> None:
    from herald.routing import service as routing

    with transaction() as session:
        routing.remove_carrier_prefix(session, prefix)


@carrier_app.command("list")
def list_prefixes(as_json: Json = False) -> None:
    from herald.routing import service as routing

    with transaction() as session:
        rows = [
            {"prefix": r.prefix, "carrier": r.carrier}
            for r in routing.list_carrier_prefixes(session)
        ]
    emit_rows(rows, as_json, "Carrier overrides")
