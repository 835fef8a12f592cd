"""What an operator sees of the carrier setup: each connection (never its password) with the
state of its link in this process, and the routes in the order they are tried."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from herald.routing import service
from herald.routing.models import Connection, Route
from herald.routing.router import Availability, Router


@dataclass(frozen=True, slots=True)
class ConnectionView:
    connection: Connection
    # True/False: this process runs the link and it is (not) bound right now; None: the link
    # runs in other processes (`herald worker`), which export herald_smpp_bound themselves.
    bound: bool | None


def connections(session: Session, router: Router | None) -> list[ConnectionView]:
    running = router.providers if router is not None else {}
    views = []
    for row in service.list_connections(session):
        provider = running.get(row.name)
        bound = provider.is_available() if isinstance(provider, Availability) else None
        views.append(ConnectionView(row, bound))
    return views


def routes(session: Session) -> list[Route]:
    """Most specific first, then by priority: the order the router tries them in."""
    found = service.list_routes(session)
    return sorted(found, key=lambda r: service.route_rule(r).rank, reverse=True)
