"""The operator's view of the carrier setup: connections, routes and SIP trunks, read-only
(they are configured with `herald connection …`, `herald route …`, `herald voice trunk …`).
Scope: operator:carriers:read, which a key only has when it was created with it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from herald.api.common import container
from herald.kit.clock import isoformat
from herald.routing import status
from herald.voice import trunks

from .auth import CarriersRead
from .schemas import ERROR_RESPONSES

router = APIRouter(prefix="/c/v1", tags=["carriers"], responses=ERROR_RESPONSES)


class ConnectionOut(BaseModel):
    id: str
    name: str
    type: str
    host: str
    port: int
    system_id: str
    system_type: str
    tps: int
    window: int
    bind_mode: str
    bound: bool | None  # None: the link runs in another process (`herald worker`)
    created_at: str
    updated_at: str


class ConnectionList(BaseModel):
    data: list[ConnectionOut]


class RouteOut(BaseModel):
    id: str
    connection_name: str
    country_alpha2: str | None
    carrier: str | None
    prefix: str | None
    priority: int
    created_at: str


class RouteList(BaseModel):
    data: list[RouteOut]


class TrunkOut(BaseModel):
    id: str
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    from_domain: str | None
    max_channels: int
    cps: int
    created_at: str
    updated_at: str


class TrunkList(BaseModel):
    data: list[TrunkOut]


@router.get("/connections", response_model=ConnectionList, summary="List Connections")
def list_connections(request: Request, principal: CarriersRead) -> ConnectionList:
    """Every carrier connection, without its password. Scope: operator:carriers:read."""
    herald = container(request)
    with herald.db.reading() as session:
        views = status.connections(session, herald.router if herald.runs_links else None)
    return ConnectionList(
        data=[
            ConnectionOut(
                id=str(v.connection.id),
                name=v.connection.name,
                type=v.connection.type,
                host=v.connection.host,
                port=v.connection.port,
                system_id=v.connection.system_id,
                system_type=v.connection.system_type,
                tps=v.connection.tps,
                window=v.connection.window,
                bind_mode=v.connection.bind_mode,
                bound=v.bound,
                created_at=isoformat(v.connection.created_at) or "",
                updated_at=isoformat(v.connection.updated_at) or "",
            )
            for v in views
        ]
    )


@router.get("/routes", response_model=RouteList, summary="List Routes")
def list_routes(request: Request, principal: CarriersRead) -> RouteList:
    """Every route, in the order they are tried. Scope: operator:carriers:read."""
    with container(request).db.reading() as session:
        found = status.routes(session)
    return RouteList(
        data=[
            RouteOut(
                id=str(r.id),
                connection_name=r.connection_name,
                country_alpha2=r.country_alpha2,
                carrier=r.carrier,
                prefix=r.prefix,
                priority=r.priority,
                created_at=isoformat(r.created_at) or "",
            )
            for r in found
        ]
    )


@router.get("/trunks", response_model=TrunkList, summary="List SIP Trunks")
def list_trunks(request: Request, principal: CarriersRead) -> TrunkList:
    """Every SIP trunk of voice campaigns, without its password (configured with
    `herald voice trunk …`). Scope: operator:carriers:read."""
    with container(request).db.reading() as session:
        found = trunks.list_trunks(session)
    return TrunkList(
        data=[
            TrunkOut(
                id=str(t.id),
                name=t.name,
                host=t.host,
                port=t.port,
                transport=t.transport,
                username=t.username,
                from_domain=t.from_domain,
                max_channels=t.max_channels,
                cps=t.cps,
                created_at=isoformat(t.created_at) or "",
                updated_at=isoformat(t.updated_at) or "",
            )
            for t in found
        ]
    )
