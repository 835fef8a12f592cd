"""SIP trunks: operator configuration of where real calls go. A caller number whose
provider is a trunk's name places its calls over that trunk; numbers without one use the
built-in simulator. A worker loads the trunks when it starts."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from herald.errors import Conflict, NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.db import lock_until_commit
from herald.kit.ids import new_id
from herald.voice import repository
from herald.voice.models import Trunk

TRANSPORTS = ("udp", "tcp")
ONE_SECOND = timedelta(seconds=1)
BUILTIN_PROVIDERS = frozenset({"VOICE_SIM"})
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# What may appear in a SIP URI host or user part without escaping (RFC 3261 25.1, simplified
# to what trunks use: names, IPv4 addresses, and plain user names).
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,255}$")
_USER = re.compile(r"^[A-Za-z0-9._!~*'()&=+$,;?/-]{1,128}$")


@dataclass(frozen=True, slots=True)
class TrunkSpec:
    name: str
    host: str
    port: int = 5060
    transport: str = "udp"
    username: str | None = None
    password: str | None = None
    from_domain: str | None = None
    max_channels: int = 30
    cps: int = 10


_CHANGEABLE = tuple(f.name for f in fields(TrunkSpec) if f.name != "name")


def check(spec: TrunkSpec) -> dict[str, str]:
    checks = {
        "name": (bool(_NAME.match(spec.name)), "1-64 letters, digits, '.', '_' or '-'."),
        "host": (bool(_HOST.match(spec.host)), "A host name or IPv4 address."),
        "port": (0 < spec.port < 65536, "A port (1-65535)."),
        "transport": (spec.transport in TRANSPORTS, "udp or tcp."),
        "username": (spec.username is None or bool(_USER.match(spec.username)), "A SIP user."),
        "password": (spec.password is None or len(spec.password) <= 128, "At most 128."),
        "from_domain": (
            spec.from_domain is None or bool(_HOST.match(spec.from_domain)),
            "A host name.",
        ),
        "max_channels": (spec.max_channels >= 1, "At least 1 call at once."),
        "cps": (spec.cps >= 1, "At least 1 call started per second."),
    }
    return {field: message for field, (ok, message) in checks.items() if not ok}


def add_trunk(session: Session, clock: Clock, spec: TrunkSpec) -> Trunk:
    errors = check(spec)
    if errors:
        raise ValidationFailed(errors)
    if spec.name.upper() in BUILTIN_PROVIDERS or repository.get_trunk(session, spec.name):
        raise Conflict(f"A voice provider named {spec.name} already exists.")
    now = clock.now()
    trunk = Trunk(id=new_id(), **asdict(spec), created_at=now, updated_at=now)
    repository.add(session, trunk)
    return trunk


def update_trunk(session: Session, clock: Clock, name: str, **changes: str | int | None) -> Trunk:
    """Change some settings of a trunk (None: leave as it is); calls already on the line
    keep the settings they started with."""
    trunk = get_trunk(session, name)
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise ValidationFailed({field: "Cannot be changed." for field in sorted(unknown)})
    current = {f: getattr(trunk, f) for f in _CHANGEABLE}
    wanted = {**current, **{k: v for k, v in changes.items() if v is not None}}
    errors = check(TrunkSpec(name=name, **wanted))
    if errors:
        raise ValidationFailed(errors)
    for field, value in wanted.items():
        setattr(trunk, field, value)
    trunk.updated_at = clock.now()
    session.flush()
    return trunk


def get_trunk(session: Session, name: str) -> Trunk:
    trunk = repository.get_trunk(session, name)
    if trunk is None:
        raise NotFound(f"No trunk named {name}.")
    return trunk


def list_trunks(session: Session) -> list[Trunk]:
    return repository.list_trunks(session)


def remove_trunk(session: Session, name: str) -> None:
    """Remove a trunk no caller number uses any more."""
    trunk = get_trunk(session, name)
    numbers = repository.numbers_using(session, name)
    if numbers:
        raise Conflict(f"{numbers} caller number(s) still use trunk {name}; change them first.")
    repository.delete_trunk(session, trunk)


def trunk_view(trunk: Trunk) -> dict[str, object]:
    """The operator's view of a trunk; the password is never shown."""
    return {
        "name": trunk.name,
        "host": trunk.host,
        "port": trunk.port,
        "transport": trunk.transport,
        "username": trunk.username,
        "password": "***" if trunk.password else None,
        "from_domain": trunk.from_domain,
        "max_channels": trunk.max_channels,
        "cps": trunk.cps,
    }


def room(session: Session, provider_name: str, now: datetime) -> int | None:
    """How many more calls the trunk named `provider_name` may start now (None: it is no
    trunk, so no trunk limit): below max_channels in flight and cps started in the last
    second, counted over every worker process under one lock held until commit, so the
    limits hold at every instant however many dialers run."""
    trunk = repository.get_trunk(session, provider_name)
    if trunk is None:
        return None
    lock_until_commit(session, "trunk:" + provider_name)
    in_flight, last_second = repository.trunk_usage(session, provider_name, now - ONE_SECOND)
    return max(0, min(trunk.max_channels - in_flight, trunk.cps - last_second))
