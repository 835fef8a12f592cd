"""herald account-group: the account groups of outreach campaigns, and which API keys may
use them (a key reaches only the groups it was granted)."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import clock, emit, emit_rows, organization, parse_id, transaction

account_group_app = typer.Typer(
    help="Account groups (outreach API) and API key access to them.", no_args_is_help=True
)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@account_group_app.command("create")
def create_group(
    organization_id: Annotated[str, typer.Option("--org", help="Organization id.")],
    name: Annotated[str, typer.Option(help="A name, e.g. the sales team's.")],
    grant: Annotated[
        list[str] | None, typer.Option(help="API key id to grant access (repeat).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create an account group, optionally granting API keys access to it."""
    from herald.outreach import access

    with transaction() as session:
        group = access.create_group(session, clock, organization(session, organization_id), name)
        for key_id in grant or []:
            access.grant(session, clock, group.id, parse_id(key_id, "--grant"))
        keys = [str(k) for k in access.keys_of_group(session, group.id)]
    emit({"account_group_id": str(group.id), "name": group.name, "api_key_ids": keys}, as_json)


@account_group_app.command("list")
def list_groups(
    organization_id: Annotated[str, typer.Option("--org", help="Organization id.")],
    as_json: Json = False,
) -> None:
    from herald.outreach import access

    with transaction() as session:
        rows = [
            {
                "id": str(group.id),
                "name": group.name,
                "api_key_ids": ",".join(str(k) for k in access.keys_of_group(session, group.id)),
            }
            for group in access.list_groups(session, organization(session, organization_id))
        ]
    emit_rows(rows, as_json, "Account groups")


@account_group_app.command("grant")
def grant(
    group_id: Annotated[str, typer.Option("--group", help="Account group id.")],
    key_id: Annotated[str, typer.Option("--key", help="API key id (same organization).")],
) -> None:
    """Let an API key act on an account group (account_group_access)."""
    from herald.outreach import access

    with transaction() as session:
        access.grant(session, clock, parse_id(group_id, "--group"), parse_id(key_id, "--key"))
    typer.echo("granted")


@account_group_app.command("revoke")
def revoke(
    group_id: Annotated[str, typer.Option("--group", help="Account group id.")],
    key_id: Annotated[str, typer.Option("--key", help="API key id.")],
) -> None:
    """Take an API key's access to an account group away."""
    from herald.outreach import access

    with transaction() as session:
        access.revoke(session, parse_id(group_id, "--group"), parse_id(key_id, "--key"))
    typer.echo("revoked")
