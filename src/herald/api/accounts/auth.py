"""Who is calling the outreach API and on which account group.

The key comes in `X-API-KEY` or as `Authorization: Bearer <key>` (the same keys as every
other dialect). A route names the permission it needs; the key must also hold
account_group_access to the `accountGroupId` of the path. Request rate limits per key are
the API-wide ones (herald.api.ratelimits), answered in this dialect's envelope.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from herald.api.caller import principal_for
from herald.api.common import container, id_in_path
from herald.errors import Unauthenticated, ValidationFailed
from herald.kit.ids import parse_v7
from herald.outreach import access
from herald.outreach.models import AccountGroup
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal

api_key_header = APIKeyHeader(name="X-API-KEY", auto_error=False)
bearer = HTTPBearer(auto_error=False)
MISSING_KEY = (
    "No API key: this API expects it in the X-API-KEY header or as Authorization: Bearer <key>."
)

ID_MESSAGE = "Must be a valid UUID v7, such as 019b4b56-e704-7c30-83a0-527df63c3e00."


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    group: AccountGroup


def parse_id(value: str, field: str) -> uuid.UUID:
    parsed = parse_v7(value)
    if parsed is None:
        raise ValidationFailed({field: ID_MESSAGE})
    return parsed


def authenticated(
    request: Request,
    api_key: Annotated[str | None, Depends(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    secret = api_key or (token.credentials if token else None)
    if not secret:
        raise Unauthenticated(MISSING_KEY)
    return principal_for(request, container(request), secret)


def permitted(permission: str) -> Callable[..., Caller]:
    def dependency(
        request: Request,
        principal: Annotated[Principal, Depends(authenticated)],
        account_group_id: Annotated[
            str,
            id_in_path("Account group ID that scopes the request.", alias="accountGroupId"),
        ],
    ) -> Caller:
        principal.require(permission)
        group_id = parse_id(account_group_id, "accountGroupId")
        with container(request).db.reading() as session:
            group = access.require_access(session, principal, group_id)
        return Caller(principal, group)

    return dependency


Authenticated = Annotated[Principal, Depends(authenticated)]
CampaignsRead = Annotated[Caller, Depends(permitted(tenancy.OUTREACH_CAMPAIGNS_READ))]
CampaignsWrite = Annotated[Caller, Depends(permitted(tenancy.OUTREACH_CAMPAIGNS_WRITE))]
LeadsRead = Annotated[Caller, Depends(permitted(tenancy.OUTREACH_LEADS_READ))]
LeadsWrite = Annotated[Caller, Depends(permitted(tenancy.OUTREACH_LEADS_WRITE))]
