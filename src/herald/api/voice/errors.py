"""The voice API's error envelope: `{"error": {"code", "message", "status", "trace_id"}}`,
plus `fields` (field -> problem) on 422. Codes are lower-case words (`not_found`,
`validation_error`, `conflict`, ...)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from herald.api.common import trace_id_for
from herald.errors import Forbidden, HeraldError, RateLimited, Unauthenticated, ValidationFailed

_CODES = {
    401: "unauthorized",
    402: "insufficient_funds",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


class VoiceErrorBody(BaseModel):
    code: str
    message: str
    status: int
    trace_id: str
    fields: dict[str, str] | None = None
    required_scope: str | None = None


class VoiceErrorEnvelope(BaseModel):
    error: VoiceErrorBody


def render(request: Request, error: HeraldError) -> JSONResponse:
    body = VoiceErrorBody(
        code=_CODES.get(error.status, error.code.lower()),
        message=error.message,
        status=error.status,
        trace_id=trace_id_for(request),
        fields=error.fields if isinstance(error, ValidationFailed) else None,
        required_scope=error.scope if isinstance(error, Forbidden) else None,
    )
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        VoiceErrorEnvelope(error=body).model_dump(exclude_none=True),
        status_code=error.status,
        headers=headers,
    )


def responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI entries for the errors a route can answer with."""
    described = {
        401: "The API key is missing, invalid or revoked.",
        403: "The API key lacks the scope this route needs.",
        404: "No such resource in this workspace.",
        409: "The resource's state does not allow this.",
        422: "The request breaks a rule; `fields` says which.",
    }
    return {s: {"model": VoiceErrorEnvelope, "description": described[s]} for s in statuses}
