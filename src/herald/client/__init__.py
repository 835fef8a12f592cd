"""A typed Python client for Herald's three HTTP API families, sync and async.

    from herald.client import Herald
    herald = Herald("http://127.0.0.1:8080", api_key="hk_live_…")
    accepted = herald.messaging.send_batch(name=…, remitter_id=…, content=…, recipients=[…])
    for message in herald.messaging.iter_messages(campaign_id=accepted.campaign_id):
        print(message.e164_format, message.status)

It imports neither the server (FastAPI, SQLAlchemy) nor anything slow beyond httpx and
pydantic, so command-line tools built on it start fast."""

from .client import AsyncHerald, Herald
from .core import Operation, Page, RetryPolicy
from .errors import (
    BadRequest,
    Conflict,
    Forbidden,
    HeraldAPIError,
    HeraldClientError,
    HeraldConnectionError,
    InsufficientFunds,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    ValidationError,
)

__all__ = [
    "AsyncHerald",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "Herald",
    "HeraldAPIError",
    "HeraldClientError",
    "HeraldConnectionError",
    "InsufficientFunds",
    "NotFound",
    "Operation",
    "Page",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "Unauthorized",
    "ValidationError",
]
