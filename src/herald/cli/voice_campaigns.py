"""herald voice-campaign: call campaigns over the voice API of the server at HERALD_URL
(key in HERALD_API_KEY). `herald voice campaigns --org` reads the database instead."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

import typer

from .progress import Bar, Snapshot, watch
from .remote import Json, Limit, connect, print_json, reporting, show, show_rows

voice_campaign_app = typer.Typer(
    help="Voice (call) campaigns, over HTTP (HERALD_URL, HERALD_API_KEY).", no_args_is_help=True
)

FINAL = {"completed", "cancelled"}
COLUMNS = (
    "id",
    "name",
    "status",
    "max_concurrent_calls",
    "total_leads",
    "completed_calls",
    "pending_calls",
    "in_progress_calls",
)
CALL_COLUMNS = ("id", "to_phone_number", "attempt_number", "status", "answered_by", "outcome")


@voice_campaign_app.command("list")
def list_campaigns(
    status: Annotated[str | None, typer.Option(help="e.g. running, paused.")] = None,
    limit: Limit = 20,
    as_json: Json = False,
) -> None:
    """Call campaigns with their live counters, newest first."""
    herald = connect()
    with reporting():
        page = herald.voice.list_campaigns(status=status, limit=limit)
    show_rows(page.items, COLUMNS, as_json, "Voice campaigns")


@voice_campaign_app.command("show")
def show_campaign(campaign_id: str, as_json: Json = False) -> None:
    herald = connect()
    with reporting():
        show(herald.voice.get_campaign(campaign_id), as_json, "Voice campaign")


@voice_campaign_app.command("calls")
def list_calls(
    campaign_id: str,
    status: Annotated[str | None, typer.Option(help="e.g. completed, no_answer.")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """The campaign's call attempts, newest first."""
    herald = connect()
    with reporting():
        found = herald.voice.iter_calls(campaign_id, status=status, page_size=min(limit, 200))
        calls = list(islice(found, limit))
    show_rows(calls, CALL_COLUMNS, as_json, "Calls")


@voice_campaign_app.command("watch")
def watch_campaign(
    campaign_id: str,
    interval: Annotated[float, typer.Option(help="Seconds between two looks.")] = 1.0,
    as_json: Json = False,
) -> None:
    """Leads finished out of all, and calls on the line, until the campaign is over."""
    herald = connect()
    last: dict[str, Any] = {}

    def poll() -> Snapshot:
        campaign = last["campaign"] = herald.voice.get_campaign(campaign_id)
        note = f"{campaign.in_progress_calls} on the line of {campaign.max_concurrent_calls}"
        bars = [
            Bar("finished", campaign.completed_calls, campaign.total_leads, note),
            Bar("answered", campaign.answered_leads, campaign.total_leads),
        ]
        summary = f"{campaign.id}: {campaign.status}, {campaign.answered_leads} answered"
        return Snapshot(bars, campaign.status in FINAL, summary)

    with reporting():
        watch(poll, interval, bars=not as_json)
    if as_json:
        print_json(last["campaign"])


def _set(campaign_id: str, action: str, as_json: bool) -> None:
    herald = connect()
    with reporting():
        campaign = getattr(herald.voice, f"{action}_campaign")(campaign_id)
    if as_json:
        print_json(campaign)
    else:
        typer.echo(f"{campaign.id}: {campaign.status}")


@voice_campaign_app.command("pause")
def pause(campaign_id: str, as_json: Json = False) -> None:
    """No new call starts; calls on the line finish."""
    _set(campaign_id, "pause", as_json)


@voice_campaign_app.command("resume")
def resume(campaign_id: str, as_json: Json = False) -> None:
    """Resume a paused campaign (or launch a draft)."""
    _set(campaign_id, "resume", as_json)


@voice_campaign_app.command("cancel")
def cancel(campaign_id: str, as_json: Json = False) -> None:
    """Cancel every lead still waiting; calls on the line finish."""
    _set(campaign_id, "cancel", as_json)
