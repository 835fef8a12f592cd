"""X-API-KEY authentication, scopes and the per-key rate limit of the messaging API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader

from herald.api.common import container
from herald.errors import RateLimited
from herald.tenancy import service as tenancy
from herald.tenancy.service import Principal

api_key_header = APIKeyHeader(name="X-API-KEY", auto_error=False)


def requires(scope: str) -> Callable[..., Principal]:
    def dependency(
        request: Request, api_key: Annotated[str | None, Depends(api_key_header)]
    ) -> Principal:
        with container(request).db.reading() as session:
            principal = tenancy.authenticate(session, api_key)
        principal.require(scope)
        return principal

    return dependency


CampaignRead = Annotated[Principal, Depends(requires(tenancy.CAMPAIGN_READ))]
CampaignSend = Annotated[Principal, Depends(requires(tenancy.CAMPAIGN_SEND))]
MessagesRead = Annotated[Principal, Depends(requires(tenancy.MESSAGES_READ))]
MessagesSend = Annotated[Principal, Depends(requires(tenancy.MESSAGES_SEND))]


def batch_rate_limit(request: Request, response: Response, principal: CampaignSend) -> Principal:
    """Seed 003: the batch route takes 10 requests per minute per API key (configurable)."""
    limit = container(request).settings.batch_rate_limit
    verdict = container(request).rate_limiter.hit(limit, "c_v1.batch", str(principal.key_id))
    response.headers["RateLimit-Policy"] = f'"batch";q={verdict.limit};w={verdict.window}'
    response.headers["RateLimit"] = f'"batch";r={verdict.remaining};t={verdict.reset_after}'
    if not verdict.allowed:
        raise RateLimited(
            verdict.reset_after,
            "Too many batch requests for this API key. Retry after the indicated delay.",
        )
    return principal


BatchSender = Annotated[Principal, Depends(batch_rate_limit)]
