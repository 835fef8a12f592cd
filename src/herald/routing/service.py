"""Operator settings of routing: carrier overrides by prefix, carrier connections, routes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import Conflict, NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.providers.email.mailbox import Mailbox
from herald.providers.whatsapp.config import WhatsAppConfig
from herald.routing import repository
from herald.routing.models import BindMode, CarrierPrefix, Connection, Route
from herald.routing.numbers import CarrierDetector, carrier_code
from herald.routing.router import RouteRule

_PREFIX = re.compile(r"^\+\d{1,15}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Connections every Herald has without configuration; routes may point at them.
BUILTIN_CONNECTIONS = frozenset({"SIMULATOR"})
CONNECTION_TYPES = ("smpp", "email", "whatsapp")
CHANNEL_TYPES = ("SMS", "WHATSAPP")


def detector(session: Session) -> CarrierDetector:
    return CarrierDetector(repository.carrier_overrides(session))


def set_carrier_prefix(session: Session, clock: Clock, prefix: str, carrier: str) -> CarrierPrefix:
    if not _PREFIX.match(prefix):
        raise ValidationFailed({"prefix": "A prefix is '+' followed by 1 to 15 digits."})
    row = repository.get_prefix(session, prefix)
    code = carrier_code(carrier)
    if row is None:
        row = CarrierPrefix(prefix=prefix, carrier=code, created_at=clock.now())
        repository.add_prefix(session, row)
    else:
        row.carrier = code
    return row


def remove_carrier_prefix(session: Session, prefix: str) -> None:
    if not repository.remove_prefix(session, prefix):
        raise NotFound(f"No carrier override for prefix {prefix}.")


def list_carrier_prefixes(session: Session) -> list[CarrierPrefix]:
    return repository.list_prefixes(session)


# -- connections -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    type: str = "smpp"
    system_type: str = ""
    tps: int = 50
    window: int = 10
    bind_mode: str = BindMode.TRANSCEIVER


def _check_connection(spec: ConnectionSpec) -> dict[str, str]:
    # The lengths are SMPP 3.4's (C-octet strings, less their terminating NUL).
    checks = {
        "name": (bool(_NAME.match(spec.name)), "1-64 letters, digits, '.', '_' or '-'."),
        "type": (spec.type in CONNECTION_TYPES, f"One of: {', '.join(CONNECTION_TYPES)}."),
        "host": (0 < len(spec.host) <= 255, "A host name or address."),
        "port": (0 < spec.port < 65536, "A TCP port (1-65535)."),
        "system_id": (0 < len(spec.system_id) <= 15, "1 to 15 characters."),
        "password": (len(spec.password) <= 8, "At most 8 characters (SMPP 3.4)."),
        "system_type": (len(spec.system_type) <= 12, "At most 12 characters."),
        "tps": (spec.tps >= 1, "At least 1 message per second."),
        "window": (spec.window >= 1, "At least 1 outstanding submit_sm."),
        "bind": (spec.bind_mode in set(BindMode), "transceiver or transmitter+receiver."),
    }
    return {field: message for field, (ok, message) in checks.items() if not ok}


def add_connection(session: Session, clock: Clock, spec: ConnectionSpec) -> Connection:
    errors = _check_connection(spec)
    if errors:
        raise ValidationFailed(errors)
    if spec.name.upper() in BUILTIN_CONNECTIONS or repository.get_connection(session, spec.name):
        raise Conflict(f"A connection named {spec.name} already exists.")
    now = clock.now()
    row = Connection(
        id=new_id(),
        name=spec.name,
        type=spec.type,
        host=spec.host,
        port=spec.port,
        system_id=spec.system_id,
        password=spec.password,
        system_type=spec.system_type,
        tps=spec.tps,
        window=spec.window,
        bind_mode=spec.bind_mode,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, row)
    return row


def add_mailbox(session: Session, clock: Clock, mailbox: Mailbox) -> Connection:
    """An email connection: its settings in `settings`, the SMPP columns left empty."""
    return _add_with_settings(
        session, clock, mailbox.name, "email", mailbox.problems(), mailbox.settings()
    )


def add_whatsapp_connection(session: Session, clock: Clock, config: WhatsAppConfig) -> Connection:
    """A WhatsApp Business Cloud API connection: its settings live in `settings` (JSON);
    the SMPP columns stay empty but for its rate and concurrency."""
    return _add_with_settings(
        session,
        clock,
        config.name,
        "whatsapp",
        config.problems(),
        config.settings(),
        tps=max(1, int(config.rate)),
        window=config.concurrency,
    )


def _add_with_settings(
    session: Session,
    clock: Clock,
    name: str,
    type: str,
    errors: dict[str, str],
    settings: dict[str, Any],
    tps: int = 0,
    window: int = 0,
) -> Connection:
    """A connection that is not SMPP: checked, then stored with its settings as JSON."""
    if not _NAME.match(name):
        errors["name"] = "1-64 letters, digits, '.', '_' or '-'."
    if errors:
        raise ValidationFailed(errors)
    if name.upper() in BUILTIN_CONNECTIONS or repository.get_connection(session, name):
        raise Conflict(f"A connection named {name} already exists.")
    now = clock.now()
    row = Connection(
        id=new_id(),
        name=name,
        type=type,
        host="",
        port=0,
        system_id="",
        password="",
        system_type="",
        tps=tps,
        window=window,
        bind_mode="",
        settings=settings,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, row)
    return row


def mailboxes(session: Session) -> dict[str, Mailbox]:
    """Every email connection, by name."""
    return {
        row.name: Mailbox.from_settings(row.name, row.settings or {})
        for row in repository.list_connections(session)
        if row.type == "email"
    }


_CHANGEABLE = ("host", "port", "system_id", "password", "system_type", "tps", "window", "bind_mode")


def update_connection(
    session: Session, clock: Clock, name: str, **changes: str | int | None
) -> Connection:
    """Change some settings of a connection (None: leave as it is). A running Herald re-binds
    it with the new settings within seconds; its routes stay as they are."""
    row = repository.get_connection(session, name)
    if row is None:
        raise NotFound(f"No connection named {name}.")
    if row.type != "smpp":
        raise ValidationFailed(
            {"type": f"A connection of type {row.type} is changed by removing and adding it again."}
        )
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise ValidationFailed({field: "Cannot be changed." for field in sorted(unknown)})
    current = {field: getattr(row, field) for field in _CHANGEABLE}
    wanted = {**current, **{k: v for k, v in changes.items() if v is not None}}
    errors = _check_connection(ConnectionSpec(name=row.name, type=row.type, **wanted))
    if errors:
        raise ValidationFailed(errors)
    for field, value in wanted.items():
        setattr(row, field, value)
    row.updated_at = clock.now()
    return row


def list_connections(session: Session) -> list[Connection]:
    return repository.list_connections(session)


def remove_connection(session: Session, name: str) -> None:
    routes = repository.count_routes_to(session, name)
    if routes:
        raise Conflict(f"{routes} route(s) still use connection {name}; remove them first.")
    if not repository.remove_connection(session, name):
        raise NotFound(f"No connection named {name}.")


# -- routes ----------------------------------------------------------------------------------


def add_route(
    session: Session,
    clock: Clock,
    connection: str,
    *,
    country: str | None = None,
    carrier: str | None = None,
    prefix: str | None = None,
    priority: int = 0,
    channel_type: str = "SMS",
) -> Route:
    country = country.upper() if country else None
    channel_type = channel_type.upper()
    errors = {}
    if channel_type not in CHANNEL_TYPES:
        errors["channel_type"] = f"One of: {', '.join(CHANNEL_TYPES)}."
    if country is not None and not _COUNTRY.match(country):
        errors["country"] = "An ISO 3166 alpha-2 code, e.g. AO."
    if prefix is not None and not _PREFIX.match(prefix):
        errors["prefix"] = "A prefix is '+' followed by 1 to 15 digits."
    if errors:
        raise ValidationFailed(errors)
    target = repository.get_connection(session, connection)
    if connection not in BUILTIN_CONNECTIONS and target is None:
        raise NotFound(f"No connection named {connection}.")
    if (target is not None and target.type == "whatsapp") != (channel_type == "WHATSAPP"):
        raise ValidationFailed(
            {"channel_type": "WHATSAPP routes go to whatsapp connections, and only they do."}
        )
    row = Route(
        id=new_id(),
        connection_name=connection,
        channel_type=channel_type,
        country_alpha2=country,
        carrier=carrier_code(carrier) if carrier else None,
        prefix=prefix,
        priority=priority,
        created_at=clock.now(),
    )
    repository.add(session, row)
    return row


def list_routes(session: Session) -> list[Route]:
    return repository.list_routes(session)


def route_rule(route: Route) -> RouteRule:
    """What the router matches a route by."""
    return RouteRule(
        route.connection_name,
        route.country_alpha2,
        route.carrier,
        route.prefix,
        route.priority,
        route.channel_type,
    )


def remove_route(session: Session, route_id: uuid.UUID) -> None:
    if not repository.remove_route(session, route_id):
        raise NotFound(f"No route with id {route_id}.")
