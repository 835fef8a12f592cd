"""herald tenant | key | remitter: provisioning tenants without a dashboard."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import amount_of, clock, emit, emit_rows, organization, parse_id, transaction

tenant_app = typer.Typer(help="Tenants (organizations).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
remitter_app = typer.Typer(help="Sender IDs (remitters).", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@tenant_app.command("create")
def create_tenant(
    name: Annotated[str, typer.Option(help="Organization name.")],
    balance: Annotated[str, typer.Option(help="Opening wallet balance, e.g. 100.50.")] = "0",
    currency: Annotated[str, typer.Option(help="Wallet currency (ISO 4217).")] = "USD",
    remitter: Annotated[str, typer.Option(help="Name of the default sender ID.")] = "Herald",
    as_json: Json = False,
) -> None:
    """Create an organization with a wallet, an API key (shown once) and an approved sender ID."""
    from herald.billing import service as billing
    from herald.kit.money import format_micros
    from herald.tenancy import service as tenancy

    with transaction() as session:
        new = tenancy.create_tenant(
            session,
            clock,
            name=name,
            balance_micros=amount_of(balance, "--balance"),
            currency=currency.upper(),
            remitter_name=remitter,
        )
        account = billing.get_account(session, new.billing_account_id)
    emit(
        {
            "organization_id": str(new.organization.id),
            "billing_account_id": str(new.billing_account_id),
            "api_key": new.api_key,
            "api_key_id": str(new.key_id),
            "remitter_id": str(new.remitter.id),
            "remitter_name": new.remitter.name,
            "balance": format_micros(account.balance_micros),
            "currency": account.currency,
        },
        as_json,
        "Tenant created (the API key is shown only once)",
    )


@key_app.command("create")
def create_key(
    organization_id: Annotated[str, typer.Option("--org", help="Organization id.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "key",
    scope: Annotated[
        list[str] | None, typer.Option(help="Scope to grant (repeat); default: all.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create an API key for an organization; the key is printed once and stored hashed."""
    from herald.tenancy import service as tenancy

    with transaction() as session:
        new = tenancy.create_key(
            session,
            clock,
            organization(session, organization_id),
            name=name,
            scopes=tuple(scope) if scope else tenancy.ALL_SCOPES,
        )
    emit(
        {"api_key_id": str(new.key.id), "api_key": new.secret, "scopes": new.key.scopes},
        as_json,
    )


@key_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="API key id.")], as_json: Json = False
) -> None:
    """Revoke an API key at once."""
    from herald.tenancy import service as tenancy

    with transaction() as session:
        key = tenancy.revoke_key(session, clock, parse_id(key_id, "key id"))
    emit({"api_key_id": str(key.id), "revoked_at": key.revoked_at}, as_json)


@key_app.command("list")
def list_keys(
    organization_id: Annotated[str, typer.Option("--org", help="Organization id.")],
    as_json: Json = False,
) -> None:
    from herald.tenancy import service as tenancy

    with transaction() as session:
        keys = tenancy.list_keys(session, organization(session, organization_id))
        rows = [
            {
                "id": str(k.id),
                "name": k.name,
                "prefix": k.prefix,
                "scopes": ",".join(k.scopes),
                "revoked_at": k.revoked_at or "",
            }
            for k in keys
        ]
    emit_rows(rows, as_json, "API keys")


@remitter_app.command("create")
def create_remitter(
    organization_id: Annotated[str, typer.Option("--org", help="Organization id.")],
    name: Annotated[str, typer.Option(help="Sender ID: up to 11 letters/digits, or a number.")],
    as_json: Json = False,
) -> None:
    """Register an approved sender ID for an organization."""
    from herald.tenancy import service as tenancy

    with transaction() as session:
        remitter = tenancy.create_remitter(
            session, clock, organization(session, organization_id), name
        )
    emit(
        {"remitter_id": str(remitter.id), "name": remitter.name, "status": remitter.status}, as_json
    )


@remitter_app.command("list")
def list_remitters(
    organization_id: Annotated[str, typer.Option("--org", help="Organization id.")],
    as_json: Json = False,
) -> None:
    from herald.tenancy import service as tenancy

    with transaction() as session:
        rows = [
            {"id": str(r.id), "name": r.name, "status": r.status}
            for r in tenancy.list_remitters(session, organization(session, organization_id))
        ]
    emit_rows(rows, as_json, "Sender IDs")
