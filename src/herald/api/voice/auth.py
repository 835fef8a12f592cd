"""`Authorization: Bearer <api key>`: the same keys as every dialect, with voice scopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from herald.api.caller import principal_for
from herald.api.common import container
from herald.errors import Unauthenticated
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal

bearer = HTTPBearer(auto_error=False, description="Your API key as a Bearer token.")
MISSING_KEY = "No API key: this API expects it as Authorization: Bearer <key>."


def requires(scope: str) -> Callable[..., Principal]:
    def dependency(
        request: Request,
        token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if token is None or not token.credentials:
            raise Unauthenticated(MISSING_KEY)
        principal = principal_for(request, container(request), token.credentials)
        principal.require(scope)
        return principal

    return dependency


AgentsRead = Annotated[Principal, Depends(requires(tenancy.VOICE_AGENTS_READ))]
AgentsWrite = Annotated[Principal, Depends(requires(tenancy.VOICE_AGENTS_WRITE))]
NumbersRead = Annotated[Principal, Depends(requires(tenancy.VOICE_NUMBERS_READ))]
NumbersWrite = Annotated[Principal, Depends(requires(tenancy.VOICE_NUMBERS_WRITE))]
CampaignsRead = Annotated[Principal, Depends(requires(tenancy.VOICE_CAMPAIGNS_READ))]
CampaignsWrite = Annotated[Principal, Depends(requires(tenancy.VOICE_CAMPAIGNS_WRITE))]
CallsRead = Annotated[Principal, Depends(requires(tenancy.VOICE_CALLS_READ))]
