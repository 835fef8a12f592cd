"""herald campaign / herald messages: batch (SMS) campaigns and their messages, over the
messaging API (/c/v1) of the server at HERALD_URL, with the key in HERALD_API_KEY."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from herald.kit.numbers_file import batches, numbers_from_csv

from .progress import Bar, Snapshot, watch
from .remote import Json, Limit, connect, fail, print_json, reporting, show, show_rows

if TYPE_CHECKING:
    from herald.client import Herald

campaign_app = typer.Typer(
    help="Batch (SMS) campaigns, over HTTP (HERALD_URL, HERALD_API_KEY).", no_args_is_help=True
)
messages_app = typer.Typer(
    help="Messages, over HTTP (HERALD_URL, HERALD_API_KEY).", no_args_is_help=True
)

MAX_BATCH = 1000  # the API's most recipients per batch
MAX_WAITS = 60  # rate-limit waits per batch before giving up
FINAL_CAMPAIGN = {"COMPLETED", "CANCELLED", "FAILED"}
FINAL_MESSAGE = ("DELIVERED", "FAILED", "UNDELIVERED", "EXPIRED", "REJECTED", "CANCELLED")
COLUMNS = ("id", "name", "status", "total_estimated_recipients", "created_at")
MESSAGE_COLUMNS = ("id", "e164_format", "status", "error_code", "cost", "created_at")
Ids = Annotated[list[str], typer.Argument(help="Campaign id(s).")]
Interval = Annotated[float, typer.Option(help="Seconds between two looks at the server.")]


def read_numbers(path: Path) -> list[str]:
    """Numbers from a file (see herald.kit.numbers_file)."""
    return numbers_from_csv(path.read_text(encoding="utf-8-sig"))


@campaign_app.command("send")
def send(
    file: Annotated[Path, typer.Option("--file", exists=True, dir_okay=False, help="Numbers.")],
    content: Annotated[str, typer.Option(help="The message text.")],
    remitter_id: Annotated[str, typer.Option("--remitter-id", help="Approved sender ID.")],
    country: Annotated[
        str | None, typer.Option(help="Country of numbers without a + prefix, e.g. AO.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Campaign name (default: the file's).")] = None,
    batch_size: Annotated[int, typer.Option(min=2, max=MAX_BATCH)] = MAX_BATCH,
    watch_: Annotated[
        bool, typer.Option("--watch", help="Show progress until every message is final.")
    ] = False,
    interval: Interval = 1.0,
    as_json: Json = False,
) -> None:
    """Send a message to every number of a file, in batches of at most 1,000.

    Each batch is one campaign; when the API's batch rate limit answers 429, the command
    waits as long as Retry-After says and goes on."""
    from herald.client import RetryPolicy

    numbers = read_numbers(file)
    if len(numbers) < 2:
        fail(f"{file} holds {len(numbers)} number(s); a campaign needs at least 2")
    chunks = batches(numbers, batch_size)
    title = name or file.stem
    # A 429 with Retry-After comes back to us (max_retry_after=0) so that the wait is said.
    herald = connect(RetryPolicy(max_retry_after=0))
    ids: list[str] = []
    with reporting():
        for index, chunk in enumerate(chunks, start=1):
            label = title if len(chunks) == 1 else f"{title} ({index}/{len(chunks)})"
            body = {"name": label, "remitter_id": remitter_id, "content": content}
            accepted = _send_batch(herald, body | {"country_alpha2": country}, chunk)
            ids.append(accepted.campaign_id)
            if not as_json:
                typer.echo(f"accepted {accepted.campaign_id}: {label}, {len(chunk)} numbers")
        result: dict[str, Any] = {"campaign_ids": ids, "numbers": len(numbers)}
        if watch_:
            result |= _watch(herald, ids, interval, bars=not as_json)
    if as_json:
        print_json(result)


def _send_batch(herald: Herald, body: dict[str, Any], recipients: list[str]) -> Any:
    """Send one batch, waiting out the batch rate limit (10 a minute by default) as often as
    the server asks; one Idempotency-Key for all the tries, so it is accepted at most once."""
    from herald.client import RateLimited

    key = str(uuid.uuid4())
    for _ in range(MAX_WAITS):
        try:
            return herald.messaging.send_batch(**body, recipients=recipients, idempotency_key=key)
        except RateLimited as limited:
            wait = limited.retry_after or 1.0
            typer.echo(f"rate limited: waiting {wait:.0f} s as the server asks", err=True)
            time.sleep(wait)
    return herald.messaging.send_batch(**body, recipients=recipients, idempotency_key=key)


@campaign_app.command("watch")
def watch_campaigns(ids: Ids, interval: Interval = 1.0, as_json: Json = False) -> None:
    """Progress of campaigns (accepted → sent → final) until every message is final."""
    herald = connect()
    with reporting():
        result = _watch(herald, ids, interval, bars=not as_json)
    if as_json:
        print_json({"campaign_ids": ids} | result)


def _watch(herald: Herald, ids: list[str], interval: float, bars: bool) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def poll() -> Snapshot:
        campaigns = [herald.messaging.get_campaign(id) for id in ids]
        last["campaigns"] = campaigns
        return snapshot_of(campaigns)

    watch(poll, interval, bars)
    return totals_of(last["campaigns"])


def totals_of(campaigns: list[Any]) -> dict[str, Any]:
    totals: dict[str, int] = {}
    for campaign in campaigns:
        for status, count in campaign.data.get("messages", {}).items():
            totals[status] = totals.get(status, 0) + count
    return {"statuses": {c.id: c.status for c in campaigns}, "messages": totals}


def snapshot_of(campaigns: list[Any]) -> Snapshot:
    """accepted: numbers the server has looked at (of those sent to it); sent: messages past
    PENDING; final: messages with a final status (delivered or not)."""
    submitted = processed = total = pending = final = delivered = 0
    for campaign in campaigns:
        recipients = campaign.data.get("recipients")
        messages = campaign.data.get("messages", {})
        submitted += campaign.total_estimated_recipients
        if recipients:  # only once the campaign is expanded
            processed += campaign.total_estimated_recipients
        total += messages.get("total", 0)
        pending += messages.get("PENDING", 0)
        final += sum(messages.get(status, 0) for status in FINAL_MESSAGE)
        delivered += messages.get("DELIVERED", 0)
    done = all(c.status in FINAL_CAMPAIGN for c in campaigns) and final == total
    bars = [
        Bar("accepted", processed, submitted, f"{total} messages"),
        Bar("sent", total - pending, total, _paused(campaigns)),
        Bar("final", final, total, f"{delivered} delivered, {final - delivered} not"),
    ]
    summary = f"{final} of {total} messages final: {delivered} delivered, {final - delivered} not"
    return Snapshot(bars, done, summary)


def _paused(campaigns: list[Any]) -> str:
    paused = sum(c.status == "PAUSED" for c in campaigns)
    return f"{paused} campaign(s) paused" if paused else ""


@campaign_app.command("list")
def list_campaigns(
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. SENDING.")] = None,
    limit: Limit = 20,
    as_json: Json = False,
) -> None:
    """Campaigns, newest first."""
    herald = connect()
    with reporting():
        page = herald.messaging.list_campaigns(status=status, limit=limit)
    show_rows(page.items, COLUMNS, as_json, "Campaigns")


@campaign_app.command("show")
def show_campaign(campaign_id: str, as_json: Json = False) -> None:
    """One campaign with its tallies per message status."""
    herald = connect()
    with reporting():
        show(herald.messaging.get_campaign(campaign_id), as_json, "Campaign")


def _control(action: str, campaign_id: str, as_json: bool) -> None:
    herald = connect()
    with reporting():
        campaign = getattr(herald.messaging, f"{action}_campaign")(campaign_id)
    if as_json:
        print_json(campaign)
    else:
        typer.echo(f"{campaign.id}: {campaign.status}")


@campaign_app.command("pause")
def pause(campaign_id: str, as_json: Json = False) -> None:
    """Stop sending (messages already sent still get their receipts)."""
    _control("pause", campaign_id, as_json)


@campaign_app.command("resume")
def resume(campaign_id: str, as_json: Json = False) -> None:
    """Carry on sending a paused campaign (never re-sends)."""
    _control("resume", campaign_id, as_json)


@campaign_app.command("cancel")
def cancel(campaign_id: str, as_json: Json = False) -> None:
    """Cancel the unsent messages (they are refunded)."""
    _control("cancel", campaign_id, as_json)


@messages_app.command("list")
def list_messages(
    campaign_id: Annotated[str | None, typer.Option("--campaign-id")] = None,
    status: Annotated[str | None, typer.Option(help="e.g. DELIVERED, UNDELIVERED.")] = None,
    number: Annotated[str | None, typer.Option(help="Only this number (E.164).")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """Messages, newest first (as many pages as `--limit` needs)."""
    from itertools import islice

    herald = connect()
    filters = {"campaign_id": campaign_id, "status": status, "e164_format": number}
    with reporting():
        found = herald.messaging.iter_messages(page_size=min(limit, 200), **filters)
        messages = list(islice(found, limit))
    show_rows(messages, MESSAGE_COLUMNS, as_json, "Messages")
