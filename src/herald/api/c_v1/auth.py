"""X-API-KEY authentication and scopes of the messaging API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from herald.api.caller import principal_for
from herald.api.common import container
from herald.errors import Unauthenticated
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal

api_key_header = APIKeyHeader(name="X-API-KEY", auto_error=False)
MISSING_KEY = "No API key: this API expects it in the X-API-KEY header."


def requires(scope: str) -> Callable[..., Principal]:
    def dependency(
        request: Request, api_key: Annotated[str | None, Depends(api_key_header)]
    ) -> Principal:
        if not api_key:
            raise Unauthenticated(MISSING_KEY)
        principal = principal_for(request, container(request), api_key)
        principal.require(scope)
        return principal

    return dependency


CampaignRead = Annotated[Principal, Depends(requires(tenancy.CAMPAIGN_READ))]
CampaignSend = Annotated[Principal, Depends(requires(tenancy.CAMPAIGN_SEND))]
MessagesRead = Annotated[Principal, Depends(requires(tenancy.MESSAGES_READ))]
MessagesSend = Annotated[Principal, Depends(requires(tenancy.MESSAGES_SEND))]
WebhooksManage = Annotated[Principal, Depends(requires(tenancy.WEBHOOKS_MANAGE))]
CarriersRead = Annotated[Principal, Depends(requires(tenancy.OPERATOR_CARRIERS_READ))]


# The batch route's 10 requests per minute (seed 003) are applied with every other
# route's limits, per key and route class, by herald.api.ratelimits.
BatchSender = CampaignSend
