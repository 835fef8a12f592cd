"""herald whatsapp templates sync | list: the WhatsApp business accounts' message templates."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import clock, emit_rows, transaction

whatsapp_app = typer.Typer(help="WhatsApp Business Cloud API connections.", no_args_is_help=True)
templates_app = typer.Typer(help="Message templates of the business accounts.")
whatsapp_app.add_typer(templates_app, name="templates")

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@templates_app.command("sync")
def sync_templates(
    connection: Annotated[
        str | None, typer.Option(help="One connection (default: every whatsapp connection).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Fetch every template of the business account(s) from Meta and keep them."""
    import httpx

    from herald.routing import service as routing
    from herald.whatsapp import webhooks
    from herald.whatsapp.templates import sync

    rows = []
    with transaction() as session, httpx.Client(timeout=30) as client:
        names = [c.name for c in routing.list_connections(session) if c.type == "whatsapp"]
        for name in [connection] if connection else names:
            config = webhooks.connection(session, name)
            rows.append({"connection": name, "templates": sync(session, clock, config, client)})
    emit_rows(rows, as_json, "Templates synced")


@templates_app.command("list")
def list_templates(as_json: Json = False) -> None:
    from herald.whatsapp.templates import list_templates

    with transaction() as session:
        rows = [
            {
                "connection": t.connection_name,
                "name": t.name,
                "language": t.language,
                "status": t.status,
                "category": t.category,
                "parameters": t.body_parameters,
                "header_parameters": t.header_parameters,
            }
            for t in list_templates(session)
        ]
    emit_rows(rows, as_json, "WhatsApp templates")
