"""herald webhook: register endpoints, read their delivery log, replay a delivery."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .context import clock, emit, emit_rows, organization, parse_id, transaction

if TYPE_CHECKING:
    from herald.webhooks.models import WebhookEndpoint

webhook_app = typer.Typer(help="Webhook endpoints and their deliveries.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Org = Annotated[str, typer.Option("--org", help="Organization id.")]
EndpointId = Annotated[str, typer.Argument(help="Webhook endpoint id.")]


def _endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    from herald.kit.clock import isoformat

    return {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "event_types": ",".join(endpoint.event_types),
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason or "",
        "failing_since": isoformat(endpoint.failing_since) or "",
    }


@webhook_app.command("create")
def create(
    organization_id: Org,
    url: Annotated[str, typer.Option(help="Where events are POSTed.")],
    event: Annotated[list[str], typer.Option(help="Event type to receive (repeat).")],
    description: Annotated[str | None, typer.Option(help="A label.")] = None,
    as_json: Json = False,
) -> None:
    """Register an endpoint; its signing secret (whsec_…) is printed once."""
    from herald import bootstrap  # noqa: F401  (loads every domain: their event types are declared)
    from herald.settings import Settings
    from herald.webhooks import service
    from herald.webhooks.guard import AddressGuard

    guard = AddressGuard.from_setting(Settings().webhook_allow_networks)
    with transaction() as session:
        endpoint = service.register_endpoint(
            session,
            clock,
            guard,
            organization(session, organization_id),
            url=url,
            event_types=event,
            description=description,
        )
        data = {**_endpoint(endpoint), "secret": endpoint.secret}
    emit(data, as_json, "Webhook endpoint (the secret is shown only once)")


@webhook_app.command("list")
def list_endpoints(organization_id: Org, as_json: Json = False) -> None:
    from herald.webhooks import service

    with transaction() as session:
        found = service.list_endpoints(session, organization(session, organization_id))
        rows = [_endpoint(e) for e in found]
    emit_rows(rows, as_json, "Webhook endpoints")


@webhook_app.command("delete")
def delete(endpoint_id: EndpointId, organization_id: Org) -> None:
    """Delete an endpoint and its delivery log."""
    from herald.webhooks import service

    with transaction() as session:
        service.delete_endpoint(
            session, organization(session, organization_id), parse_id(endpoint_id, "endpoint id")
        )
    typer.echo("deleted")


@webhook_app.command("enable")
def enable(endpoint_id: EndpointId, organization_id: Org, as_json: Json = False) -> None:
    """Re-enable a disabled endpoint; the deliveries it missed go out, in order."""
    from herald.webhooks import service

    with transaction() as session:
        endpoint = service.enable_endpoint(
            session,
            clock,
            organization(session, organization_id),
            parse_id(endpoint_id, "endpoint id"),
        )
        data = _endpoint(endpoint)
    emit(data, as_json)


@webhook_app.command("deliveries")
def deliveries(
    endpoint_id: EndpointId,
    organization_id: Org,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Json = False,
) -> None:
    """The delivery log: each delivery's status, attempts, last answer and latency."""
    from herald.kit.clock import isoformat
    from herald.webhooks import service
    from herald.webhooks.signing import webhook_id

    with transaction() as session:
        found = service.list_deliveries(
            session,
            organization(session, organization_id),
            parse_id(endpoint_id, "endpoint id"),
            before=None,
            limit=limit,
        )
        rows = [
            {
                "id": str(d.delivery.id),
                "webhook_id": webhook_id(d.event.id),
                "event_type": d.event.event_type,
                "status": d.delivery.status,
                "attempts": d.delivery.attempts,
                "last_status_code": d.delivery.last_status_code or "",
                "last_latency_ms": d.attempts[-1].latency_ms if d.attempts else "",
                "created_at": isoformat(d.delivery.created_at),
            }
            for d in found
        ]
    emit_rows(rows, as_json, "Deliveries")


@webhook_app.command("replay")
def replay(
    endpoint_id: EndpointId,
    delivery_id: Annotated[str, typer.Argument(help="Delivery id.")],
    organization_id: Org,
) -> None:
    """Send a delivery's event again (same webhook-id) on the next worker round."""
    from herald.webhooks import service

    with transaction() as session:
        logged = service.replay(
            session,
            clock,
            organization(session, organization_id),
            parse_id(endpoint_id, "endpoint id"),
            parse_id(delivery_id, "delivery id"),
        )
        typer.echo(json.dumps({"delivery_id": str(logged.delivery.id), "status": "PENDING"}))
