"""herald connection | route: carrier connections and the routes that use them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .context import clock, emit, emit_rows, parse_id, transaction

if TYPE_CHECKING:
    from herald.providers.whatsapp.config import WhatsAppConfig
    from herald.routing import service as routing

connection_app = typer.Typer(
    help="Carrier connections (SMPP, WhatsApp) and mailboxes (email). A running Herald applies "
    "changes within seconds.",
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
    type_: Annotated[
        str, typer.Option("--type", help="smpp, whatsapp, or email (a mailbox).")
    ] = "smpp",
    host: Annotated[str | None, typer.Option(help="SMPP: the SMSC's host.")] = None,
    port: Annotated[int | None, typer.Option(help="SMPP: the SMSC's SMPP port.")] = None,
    system_id: Annotated[str | None, typer.Option("--system-id", help="SMPP account.")] = None,
    password: Annotated[
        str | None, typer.Option(help="SMPP password (at most 8), or the mailbox's password.")
    ] = None,
    system_type: Annotated[str, typer.Option("--system-type", help="SMPP system_type.")] = "",
    tps: Annotated[int, typer.Option(help="SMPP: submit_sm per second at most.")] = 50,
    window: Annotated[int, typer.Option(help="SMPP: submit_sm awaiting a response.")] = 10,
    bind: Annotated[
        str, typer.Option(help="SMPP: transceiver, or transmitter+receiver (two binds).")
    ] = "transceiver",
    smtp_host: Annotated[str | None, typer.Option("--smtp-host", help="Email: SMTP host.")] = None,
    smtp_port: Annotated[int, typer.Option("--smtp-port", help="Email: SMTP port.")] = 587,
    smtp_security: Annotated[
        str, typer.Option("--smtp-security", help="Email: starttls, tls or none.")
    ] = "starttls",
    username: Annotated[str | None, typer.Option(help="Email: SMTP and IMAP login.")] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Email: sender, e.g. 'Ana <ana@example.com>'.")
    ] = None,
    imap_host: Annotated[str | None, typer.Option("--imap-host", help="Email: IMAP host.")] = None,
    imap_port: Annotated[int, typer.Option("--imap-port", help="Email: IMAP port.")] = 993,
    imap_security: Annotated[
        str, typer.Option("--imap-security", help="Email: tls, starttls or none.")
    ] = "tls",
    daily_cap: Annotated[
        int | None, typer.Option("--daily-cap", help="Email: most emails per UTC day.")
    ] = None,
    sending_hours: Annotated[
        str | None, typer.Option("--sending-hours", help="Email: e.g. 09:00-17:00.")
    ] = None,
    time_zone: Annotated[
        str, typer.Option("--time-zone", help="Email: time zone of --sending-hours.")
    ] = "UTC",
    jitter: Annotated[
        int, typer.Option("--jitter-seconds", help="Email: spread sends by up to this.")
    ] = 60,
    dkim_domain: Annotated[str | None, typer.Option("--dkim-domain", help="DKIM d=.")] = None,
    dkim_selector: Annotated[str | None, typer.Option("--dkim-selector", help="DKIM s=.")] = None,
    dkim_key_file: Annotated[
        Path | None, typer.Option("--dkim-key-file", help="DKIM private key (PEM).")
    ] = None,
    phone_number_id: Annotated[
        str | None, typer.Option("--phone-number-id", help="WhatsApp: the number's id.")
    ] = None,
    waba_id: Annotated[
        str | None, typer.Option("--waba-id", help="WhatsApp: the business account's id.")
    ] = None,
    access_token: Annotated[
        str | None, typer.Option("--access-token", help="WhatsApp: a system user token.")
    ] = None,
    app_secret: Annotated[
        str | None, typer.Option("--app-secret", help="WhatsApp: signs Meta's webhooks.")
    ] = None,
    verify_token: Annotated[
        str | None, typer.Option("--verify-token", help="WhatsApp: webhook handshake token.")
    ] = None,
    api_base_url: Annotated[
        str | None, typer.Option("--api-base-url", help="WhatsApp: Graph base with version.")
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="WhatsApp: messages per second (default 80).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Add a connection: SMPP (a running Herald binds within seconds), a WhatsApp Business
    Cloud API number (--type whatsapp) or a mailbox (--type email)."""
    from herald.routing import service as routing

    kind = type_.lower()
    if kind == "email":
        from herald.providers.email.mailbox import Mailbox

        box = Mailbox(
            name=name,
            smtp_host=smtp_host or "",
            smtp_port=smtp_port,
            smtp_security=smtp_security.lower(),
            username=username or "",
            password=password or "",
            from_address=from_ or "",
            imap_host=imap_host or "",
            imap_port=imap_port,
            imap_security=imap_security.lower(),
            daily_cap=daily_cap,
            sending_hours=sending_hours,
            time_zone=time_zone,
            jitter_seconds=jitter,
            dkim_domain=dkim_domain,
            dkim_selector=dkim_selector,
            dkim_key=dkim_key_file.read_text() if dkim_key_file else None,
        )
        with transaction() as session:
            data = _connection(routing.add_mailbox(session, clock, box))
        emit(data, as_json)
        return
    if kind == "whatsapp":
        config = _whatsapp_config(
            name,
            phone_number_id,
            waba_id,
            access_token,
            app_secret,
            verify_token,
            api_base_url,
            rate,
        )
        with transaction() as session:
            data = _connection(routing.add_whatsapp_connection(session, clock, config))
        emit(data, as_json)
        return
    missing = [
        o
        for o, v in (
            ("--host", host),
            ("--port", port),
            ("--system-id", system_id),
            ("--password", password),
        )
        if v is None
    ]
    if missing and kind == "smpp":
        raise typer.BadParameter(f"An SMPP connection needs {', '.join(missing)}.")
    spec = routing.ConnectionSpec(
        name=name,
        host=host or "",
        port=port or 0,
        system_id=system_id or "",
        password=password or "",
        type=kind,
        system_type=system_type,
        tps=tps,
        window=window,
        bind_mode=bind.lower(),
    )
    with transaction() as session:
        row = routing.add_connection(session, clock, spec)
        data = _connection(row)
    emit(data, as_json)


def _whatsapp_config(
    name: str,
    phone_number_id: str | None,
    waba_id: str | None,
    access_token: str | None,
    app_secret: str | None,
    verify_token: str | None,
    api_base_url: str | None,
    rate: float | None,
) -> WhatsAppConfig:
    from herald.providers.whatsapp.config import (
        DEFAULT_API_BASE_URL,
        DEFAULT_RATE,
        WhatsAppConfig,
    )

    given = {
        "--phone-number-id": phone_number_id,
        "--waba-id": waba_id,
        "--access-token": access_token,
        "--app-secret": app_secret,
        "--verify-token": verify_token,
    }
    missing = [option for option, value in given.items() if not value]
    if missing:
        raise typer.BadParameter(f"A whatsapp connection needs {', '.join(missing)}.")
    return WhatsAppConfig(
        name=name,
        phone_number_id=phone_number_id or "",
        waba_id=waba_id or "",
        access_token=access_token or "",
        app_secret=app_secret or "",
        verify_token=verify_token or "",
        api_base_url=(api_base_url or DEFAULT_API_BASE_URL).rstrip("/"),
        rate=rate if rate is not None else DEFAULT_RATE,
    )


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
    if as_json:
        emit_rows(rows, as_json, "")
        return
    # One table per kind: each kind has its own columns.
    titles = {"email": "Mailboxes", "whatsapp": "WhatsApp numbers"}
    carriers = [row for row in rows if row["type"] not in titles]
    if carriers or not rows:
        emit_rows(carriers, as_json, "Carrier connections")
    for kind, title in titles.items():
        same = [row for row in rows if row["type"] == kind]
        if same:
            emit_rows(same, as_json, title)


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
    settings = row.settings or {}
    if row.type == "email":
        return {
            "name": row.name,
            "type": row.type,
            "from": settings.get("from_address"),
            "smtp": f"{settings.get('smtp_host')}:{settings.get('smtp_port')}",
            "imap": f"{settings.get('imap_host')}:{settings.get('imap_port')}",
            "daily_cap": settings.get("daily_cap"),
            "dkim": settings.get("dkim_domain") or "",
        }
    if row.type == "whatsapp":
        return {
            "name": row.name,
            "type": row.type,
            "phone_number_id": settings.get("phone_number_id"),
            "waba_id": settings.get("waba_id"),
            "api_base_url": settings.get("api_base_url"),
            "rate": settings.get("rate"),
        }
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
    channel_type: Annotated[
        str, typer.Option("--channel-type", help="SMS, or WHATSAPP for a whatsapp connection.")
    ] = "SMS",
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
            channel_type=channel_type,
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
        "channel_type": row.channel_type,
        "country": row.country_alpha2 or "*",
        "carrier": row.carrier or "*",
        "prefix": row.prefix or "*",
        "priority": row.priority,
    }
