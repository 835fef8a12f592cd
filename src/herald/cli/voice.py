"""herald voice: caller numbers, agents, and a look at call campaigns and their calls."""

from __future__ import annotations

from typing import Annotated

import typer

from herald.errors import ValidationFailed

from .context import clock, emit, emit_rows, organization, transaction

voice_app = typer.Typer(help="Voice campaigns: numbers, agents, campaigns, calls.")
number_app = typer.Typer(help="Numbers a workspace may call from.", no_args_is_help=True)
agent_app = typer.Typer(help="Agents: the scripts calls run.", no_args_is_help=True)
voice_app.add_typer(number_app, name="number")
voice_app.add_typer(agent_app, name="agent")

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CAMPAIGN_COLUMNS = (
    "id",
    "name",
    "status",
    "max_concurrent_calls",
    "total_leads",
    "completed_calls",
    "pending_calls",
    "in_progress_calls",
    "next_call_at",
    "waiting_reason",
)
CALL_COLUMNS = (
    "id",
    "to_phone_number",
    "attempt_number",
    "status",
    "started_at",
    "duration_seconds",
    "outcome",
    "cost",
)
Org = Annotated[str, typer.Option("--org", help="Organization id.")]


@number_app.command("add")
def add_number(
    organization_id: Org,
    number: Annotated[str, typer.Option("--number", help="E.164, e.g. +351211234567.")],
    label: Annotated[str | None, typer.Option(help="A name for it.")] = None,
    provider: Annotated[
        str | None, typer.Option(help="Voice provider carrying its calls (default: built-in).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Register a caller number for a workspace."""
    from herald.voice import agents
    from herald.voice.views import number_view

    with transaction() as session:
        added = agents.add_number(
            session,
            clock,
            organization(session, organization_id),
            number,
            label=label,
            provider_name=provider,
        )
        emit(number_view(added), as_json)


@number_app.command("list")
def list_numbers(organization_id: Org, as_json: Json = False) -> None:
    from herald.voice import agents
    from herald.voice.views import number_view

    with transaction() as session:
        rows = [
            number_view(n)
            for n in agents.list_numbers(session, organization(session, organization_id))
        ]
    emit_rows(rows, as_json, "Phone numbers")


@agent_app.command("create")
def create_agent(
    organization_id: Org,
    name: Annotated[str, typer.Option(help="The agent's name.")],
    greeting: Annotated[str, typer.Option(help="What the call opens with.")],
    message: Annotated[str, typer.Option(help="What the call says.")],
    voicemail: Annotated[
        str, typer.Option(help="On an answering machine: hang_up or leave_message.")
    ] = "hang_up",
    max_duration: Annotated[int, typer.Option(help="Longest call, in seconds.")] = 300,
    as_json: Json = False,
) -> None:
    """Create an agent (the API offers questions and outcome labels too)."""
    from herald.voice import agents
    from herald.voice.views import agent_view

    spec = agents.AgentSpec(
        name=name,
        greeting=greeting,
        message=message,
        voicemail_action=voicemail,
        max_call_duration_seconds=max_duration,
    )
    with transaction() as session:
        agent = agents.create_agent(session, clock, organization(session, organization_id), spec)
        emit(agent_view(agent), as_json)


@voice_app.command("campaigns")
def list_campaigns(
    organization_id: Org,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Json = False,
) -> None:
    """Call campaigns of a workspace with their live counters and when each dials next."""
    from herald.voice import queries

    with transaction() as session:
        views = queries.list_campaigns(
            session, organization(session, organization_id), clock.now(), before=None, limit=limit
        )
    fields = CAMPAIGN_COLUMNS
    rows = views if as_json else [{k: v[k] for k in fields} for v in views]
    emit_rows(rows, as_json, "Call campaigns")


@voice_app.command("calls")
def list_calls(
    organization_id: Org,
    campaign_id: Annotated[str, typer.Argument(help="cmp_… as the API shows it.")],
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: Json = False,
) -> None:
    """The call log of a campaign."""
    from herald.voice import public_ids as ids
    from herald.voice import queries

    campaign = ids.decode(ids.CAMPAIGN, campaign_id)
    if campaign is None:
        raise ValidationFailed({"CAMPAIGN_ID": "not a campaign id"}, "Not a campaign id (cmp_…).")
    with transaction() as session:
        views = queries.calls_of_campaign(
            session, organization(session, organization_id), campaign, before=None, limit=limit
        )
    fields = CALL_COLUMNS
    rows = views if as_json else [{k: v[k] for k in fields} for v in views]
    emit_rows(rows, as_json, "Calls")


trunk_app = typer.Typer(
    help="SIP trunks that carry real calls (workers load them when they start).",
    no_args_is_help=True,
)
voice_app.add_typer(trunk_app, name="trunk")
Transport = Annotated[str, typer.Option(help="udp or tcp.")]


@trunk_app.command("add")
def add_trunk(
    name: Annotated[str, typer.Option(help="A name for the trunk, e.g. carrier-1.")],
    host: Annotated[str, typer.Option(help="The trunk's host name or address.")],
    port: Annotated[int, typer.Option(help="The trunk's SIP port.")] = 5060,
    transport: Transport = "udp",
    username: Annotated[str | None, typer.Option(help="Digest user name.")] = None,
    password: Annotated[str | None, typer.Option(help="Digest password.")] = None,
    from_domain: Annotated[
        str | None, typer.Option("--from-domain", help="Domain of From (default: the host).")
    ] = None,
    max_channels: Annotated[int, typer.Option("--max-channels", help="Calls at once.")] = 30,
    cps: Annotated[int, typer.Option(help="Calls started per second at most.")] = 10,
    as_json: Json = False,
) -> None:
    """Add a SIP trunk; give a caller number `--provider NAME` to call over it."""
    from herald.voice import trunks

    spec = trunks.TrunkSpec(
        name=name,
        host=host,
        port=port,
        transport=transport.lower(),
        username=username,
        password=password,
        from_domain=from_domain,
        max_channels=max_channels,
        cps=cps,
    )
    with transaction() as session:
        emit(trunks.trunk_view(trunks.add_trunk(session, clock, spec)), as_json)


@trunk_app.command("update")
def update_trunk(
    name: Annotated[str, typer.Argument(help="The trunk's name.")],
    host: Annotated[str | None, typer.Option(help="Host name or address.")] = None,
    port: Annotated[int | None, typer.Option(help="SIP port.")] = None,
    transport: Annotated[str | None, typer.Option(help="udp or tcp.")] = None,
    username: Annotated[str | None, typer.Option(help="Digest user name.")] = None,
    password: Annotated[str | None, typer.Option(help="Digest password.")] = None,
    from_domain: Annotated[str | None, typer.Option("--from-domain", help="From domain.")] = None,
    max_channels: Annotated[int | None, typer.Option("--max-channels", help="At once.")] = None,
    cps: Annotated[int | None, typer.Option(help="Calls started per second.")] = None,
    as_json: Json = False,
) -> None:
    """Change a trunk's settings (calls on the line keep theirs)."""
    from herald.voice import trunks

    with transaction() as session:
        trunk = trunks.update_trunk(
            session,
            clock,
            name,
            host=host,
            port=port,
            transport=transport.lower() if transport else None,
            username=username,
            password=password,
            from_domain=from_domain,
            max_channels=max_channels,
            cps=cps,
        )
        emit(trunks.trunk_view(trunk), as_json)


@trunk_app.command("list")
def list_trunks(as_json: Json = False) -> None:
    from herald.voice import trunks

    with transaction() as session:
        rows = [trunks.trunk_view(t) for t in trunks.list_trunks(session)]
    emit_rows(rows, as_json, "SIP trunks")


@trunk_app.command("remove")
def remove_trunk(name: Annotated[str, typer.Argument(help="The trunk's name.")]) -> None:
    """Remove a trunk no caller number uses any more."""
    from herald.voice import trunks

    with transaction() as session:
        trunks.remove_trunk(session, name)
    typer.echo(f"removed trunk {name}")
