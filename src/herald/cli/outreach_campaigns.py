"""herald outreach-campaign: multi-step outreach campaigns of an account group, over the
outreach API of the server at HERALD_URL (key in HERALD_API_KEY)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .progress import Bar, Snapshot, watch
from .remote import Json, Limit, connect, fail, print_json, reporting, show, show_rows

if TYPE_CHECKING:
    from herald.client import Herald
    from herald.client.resources import AccountGroupScope

outreach_campaign_app = typer.Typer(
    help="Outreach campaigns, over HTTP (HERALD_URL, HERALD_API_KEY).", no_args_is_help=True
)

FINAL = {"completed", "cancelled"}
LEAD_STATES = ("active", "completed", "replied", "cancelled", "opted_out", "failed")
COLUMNS = ("id", "name", "status", "selectedLeadCount", "startedAt", "rateLimitedUntil")
Group = Annotated[
    str | None,
    typer.Option(
        "--account-group",
        envvar="HERALD_ACCOUNT_GROUP",
        help="Account group id (default: the only one the key may use).",
    ),
]


def group_of(herald: Herald, account_group_id: str | None) -> AccountGroupScope:
    if account_group_id:
        return herald.outreach.group(account_group_id)
    groups = herald.outreach.list_account_groups()
    if len(groups) != 1:
        names = ", ".join(f"{g.id} ({g.name})" for g in groups) or "none"
        fail(f"pass --account-group; this key may use {len(groups)} groups: {names}")
    return herald.outreach.group(groups[0].id)


@outreach_campaign_app.command("list")
def list_campaigns(
    account_group: Group = None,
    status: Annotated[str | None, typer.Option(help="e.g. active, paused.")] = None,
    limit: Limit = 20,
    as_json: Json = False,
) -> None:
    """Campaigns of the account group, newest first."""
    herald = connect()
    with reporting():
        page = group_of(herald, account_group).list_campaigns(status=status, limit=limit)
    show_rows(page.items, COLUMNS, as_json, "Outreach campaigns")


@outreach_campaign_app.command("show")
def show_campaign(campaign_id: str, account_group: Group = None, as_json: Json = False) -> None:
    herald = connect()
    with reporting():
        show(group_of(herald, account_group).get_campaign(campaign_id), as_json, "Campaign")


@outreach_campaign_app.command("watch")
def watch_campaign(
    campaign_id: str,
    account_group: Group = None,
    interval: Annotated[float, typer.Option(help="Seconds between two looks.")] = 2.0,
    as_json: Json = False,
) -> None:
    """Leads done with the sequence (by state) out of those selected, until it is over."""
    herald = connect()
    last: dict[str, Any] = {}
    with reporting():
        group = group_of(herald, account_group)

        def poll() -> Snapshot:
            campaign = group.get_campaign(campaign_id)
            states = Counter(lead.state for lead in group.iter_campaign_leads(campaign_id))
            last.update(campaign=campaign, states=states)
            note = ", ".join(f"{states[s]} {s}" for s in LEAD_STATES if states[s])
            if campaign.rate_limited_until:
                note += f"; rate limited until {campaign.rate_limited_until:%H:%M:%S}"
            bars = [
                Bar("leads", sum(states.values()) - states["active"], sum(states.values()), note)
            ]
            return Snapshot(bars, campaign.status in FINAL, f"{campaign.id}: {campaign.status}")

        watch(poll, interval, bars=not as_json)
    if as_json:
        print_json({"campaign": last["campaign"], "leads": dict(last["states"])})


def _act(action: str, campaign_id: str, account_group: str | None, as_json: bool) -> None:
    herald = connect()
    with reporting():
        group = group_of(herald, account_group)
        campaign = getattr(group, f"{action}_campaign")(campaign_id)
    if as_json:
        print_json(campaign)
    else:
        typer.echo(f"{campaign.id}: {campaign.status}")


@outreach_campaign_app.command("start")
def start(campaign_id: str, account_group: Group = None, as_json: Json = False) -> None:
    """Start a draft: its selected leads begin the workflow."""
    _act("start", campaign_id, account_group, as_json)


@outreach_campaign_app.command("pause")
def pause(campaign_id: str, account_group: Group = None, as_json: Json = False) -> None:
    _act("pause", campaign_id, account_group, as_json)


@outreach_campaign_app.command("resume")
def resume(campaign_id: str, account_group: Group = None, as_json: Json = False) -> None:
    _act("resume", campaign_id, account_group, as_json)


@outreach_campaign_app.command("cancel")
def cancel(campaign_id: str, account_group: Group = None, as_json: Json = False) -> None:
    _act("cancel", campaign_id, account_group, as_json)
