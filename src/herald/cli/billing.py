"""herald wallet | price: money in, and what a message costs."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import amount_of, clock, emit, emit_rows, parse_id, transaction

wallet_app = typer.Typer(help="Prepaid wallets (billing accounts).", no_args_is_help=True)
price_app = typer.Typer(help="The price list.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Account = Annotated[str, typer.Option("--account", help="Billing account id.")]


@wallet_app.command("topup")
def top_up(
    account_id: Account,
    amount: Annotated[str, typer.Option(help="Amount to add, e.g. 250 or 19.99.")],
    note: Annotated[str, typer.Option(help="Ledger description.")] = "Top-up",
    as_json: Json = False,
) -> None:
    """Add credit to a wallet (a TOPUP ledger entry)."""
    from herald.billing import service as billing
    from herald.kit.money import format_micros

    with transaction() as session:
        account = billing.top_up(
            session, clock, parse_id(account_id, "--account"), amount_of(amount, "--amount"), note
        )
    emit(
        {"billing_account_id": str(account.id), "balance": format_micros(account.balance_micros)},
        as_json,
    )


@wallet_app.command("show")
def show(account_id: Account, as_json: Json = False) -> None:
    """The balance and the latest ledger entries."""
    from herald.billing import service as billing
    from herald.kit.money import format_micros

    with transaction() as session:
        id = parse_id(account_id, "--account")
        account = billing.get_account(session, id)
        entries = billing.ledger(session, id, limit=20)
        data = {
            "billing_account_id": str(account.id),
            "currency": account.currency,
            "balance": format_micros(account.balance_micros),
            "ledger_balances": billing.ledger_balances(session, id),
            "latest_entries": [
                {
                    "kind": e.kind,
                    "amount": format_micros(e.amount_micros),
                    "reference": e.reference,
                    "created_at": e.created_at.isoformat(),
                }
                for e in entries
            ],
        }
    emit(data, as_json, "Wallet")


@price_app.command("set")
def set_price(
    price: Annotated[str, typer.Option(help="Price of one unit (an SMS segment).")],
    country: Annotated[str, typer.Option(help="ISO alpha-2 country, or * for any.")] = "*",
    carrier: Annotated[str, typer.Option(help="Carrier code (e.g. UNITEL), or * for any.")] = "*",
    channel: Annotated[str, typer.Option(help="Channel type.")] = "SMS",
    as_json: Json = False,
) -> None:
    """Set the price of one unit for a country and carrier (the most specific match wins)."""
    from herald.billing import service as billing
    from herald.kit.money import format_micros

    with transaction() as session:
        row = billing.set_price(
            session,
            clock,
            channel_type=channel.upper(),
            country_alpha2=country,
            carrier=carrier,
            price_micros=amount_of(price, "--price"),
        )
        data = {
            "channel_type": row.channel_type,
            "country_alpha2": row.country_alpha2,
            "carrier": row.carrier,
            "price": format_micros(row.price_micros),
        }
    emit(data, as_json)


@price_app.command("list")
def list_prices(as_json: Json = False) -> None:
    from herald.billing import service as billing
    from herald.kit.money import format_micros

    with transaction() as session:
        rows = [
            {
                "channel_type": p.channel_type,
                "country_alpha2": p.country_alpha2,
                "carrier": p.carrier,
                "price": format_micros(p.price_micros),
            }
            for p in billing.list_prices(session)
        ]
    emit_rows(rows, as_json, "Price list")
