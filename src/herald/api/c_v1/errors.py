"""The messaging API's error envelope (seeds 000/002/003)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from herald.api.common import container, trace_id_for
from herald.errors import HeraldError, RateLimited, ValidationFailed
from herald.kit.clock import isoformat


def render(request: Request, error: HeraldError) -> JSONResponse:
    body: dict[str, object] = {
        "code": error.code,
        "message": error.message,
        "status": error.status,
        "trace_id": trace_id_for(request),
        "timestamp": isoformat(container(request).clock.now()),
        "service": error.service,
    }
    if isinstance(error, ValidationFailed):
        body["fields"] = error.fields
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(body, status_code=error.status, headers=headers)
