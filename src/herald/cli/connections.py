"""herald connection | route: carrier connections and the routes that use them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .context import clock, emit, emit_rows, parse_id, transaction

if TYPE_CHECKING:
    from herald.routing import service as routing

connection_app = typer.Typer(
    help="Carrier connections (SMPP). A running Herald applies changes within seconds.",
    no_args_is_help=True,
)
route_app = typer.Typer(
    help="Routes: which connection carries which messages (applied within seconds).",
    no_args_is_help=True,
)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@connection_app.command("add")
def add_connection(
    name: Annotated[str, typer.Option(help="A name for the connection, e.g. unitel-1.")],
    host: Annotated[str, typer.Option(help="The SMSC's host name or address.")],
    port: Annotated[int, typer.Option(help="The SMSC's SMPP port.")],
    system_id: Annotated[str, typer.Option("--system-id", help="SMPP account (system_id).")],
    password: Annotated[str, typer.Option(help="SMPP password (at most 8 characters).")],
    type_: Annotated[str, typer.Option("--type", help="Connection type.")] = "smpp",
    system_type: Annotated[str, typer.Option("--system-type", help="SMPP system_type.")] = "",
    tps: Annotated[int, typer.Option(help="submit_sm per second at most.")] = 50,
    window: Annotated[int, typer.Option(help="submit_sm awaiting a response at most.")] = 10,
    bind: Annotated[
        str, typer.Option(help="transceiver, or transmitter+receiver (two binds).")
    ] = "transceiver",
    as_json: Json = False,
) -> None:
    """Add an SMPP connection (a running Herald binds to it within seconds)."""
    from herald.routing import service as routing

    spec = routing.ConnectionSpec(
        name=name,
        host=host,
        port=port,
        system_id=system_id,
        password=password,
        type=type_.lower(),
        system_type=system_type,
        tps=tps,
        window=window,
        bind_mode=bind.lower(),
    )
    with transaction() as session:
        row = routing.add_connection(session, clock, spec)
        data = _connection(row)
    emit(data, as_json)


@connection_app.command("update")
def update_connection(
    name: Annotated[str, typer.Argument(help="The connection's name.")],
    host: Annotated[str | None, typer.Option(help="The SMSC's host name or address.")] = None,
    port: Annotated[int | None, typer.Option(help="The SMSC's SMPP port.")] = None,
    system_id: Annotated[str | None, typer.Option("--system-id", help="SMPP account.")] = None,
    password: Annotated[str | None, typer.Option(help="SMPP password.")] = None,
    system_type: Annotated[
        str | None, typer.Option("--system-type", help="SMPP system_type.")
    ] = None,
    tps: Annotated[int | None, typer.Option(help="submit_sm per second at most.")] = None,
    window: Annotated[int | None, typer.Option(help="submit_sm awaiting a response.")] = None,
    bind: Annotated[
        str | None, typer.Option(help="transceiver, or transmitter+receiver (two binds).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Change a connection's settings; a running Herald re-binds it within seconds."""
    from herald.routing import service as routing

    with transaction() as session:
        row = routing.update_connection(
            session,
            clock,
            name,
            host=host,
            port=port,
            system_id=system_id,
            password=password,
            system_type=system_type,
            tps=tps,
            window=window,
            bind_mode=bind.lower() if bind else None,
        )
        data = _connection(row)
    emit(data, as_json)


@connection_app.command("list")
def list_connections(as_json: Json = False) -> None:
    from herald.routing import service as routing

    with transaction() as session:
        rows = [_connection(c) for c in routing.list_connections(session)]
    emit_rows(rows, as_json, "Carrier connections")


@connection_app.command("remove")
def remove_connection(
    name: Annotated[str, typer.Argument(help="The connection's name.")],
) -> None:
    """Remove a connection that no route uses any more."""
    from herald.routing import service as routing

    with transaction() as session:
        routing.remove_connection(session, name)
    typer.echo(f"removed connection {name}")


def _connection(row: routing.Connection) -> dict[str, object]:
    return {
        "name": row.name,
        "type": row.type,
        "host": row.host,
        "port": row.port,
        "system_id": row.system_id,
        "system_type": row.system_type,
        "tps": row.tps,
        "window": row.window,
        "bind": row.bind_mode,
    }


@route_app.command("add")
def add_route(
    connection: Annotated[str, typer.Option(help="Connection name (or SIMULATOR).")],
    country: Annotated[str | None, typer.Option(help="ISO alpha-2 country, e.g. AO.")] = None,
    carrier: Annotated[str | None, typer.Option(help="Carrier code, e.g. UNITEL.")] = None,
    prefix: Annotated[str | None, typer.Option(help="E.164 prefix, e.g. +2449.")] = None,
    priority: Annotated[
        int, typer.Option(help="Among equally specific routes the highest is used first.")
    ] = 0,
    as_json: Json = False,
) -> None:
    """Send matching messages over CONNECTION (the most specific matching route wins)."""
    from herald.routing import service as routing

    with transaction() as session:
        row = routing.add_route(
            session,
            clock,
            connection,
            country=country,
            carrier=carrier,
            prefix=prefix,
            priority=priority,
        )
        data = _route(row)
    emit(data, as_json)


@route_app.command("list")
def list_routes(as_json: Json = False) -> None:
    from herald.routing import service as routing

    with transaction() as session:
        rows = [_route(r) for r in routing.list_routes(session)]
    emit_rows(rows, as_json, "Routes")


@route_app.command("remove")
def remove_route(route_id: Annotated[str, typer.Argument(help="The route's id.")]) -> None:
    from herald.routing import service as routing

    with transaction() as session:
        routing.remove_route(session, parse_id(route_id, "route id"))
    typer.echo(f"removed route {route_id}")


def _route(row: routing.Route) -> dict[str, object]:
    return {
        "id": str(row.id),
        "connection": row.connection_name,
        "country": row.country_alpha2 or "*",
        "carrier": row.carrier or "*",
        "prefix": row.prefix or "*",
        "priority": row.priority,
    }
