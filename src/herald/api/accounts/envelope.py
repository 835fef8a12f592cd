"""The outreach API's envelope (seed 001): every answer is
`{"success", "data", "error", "traceId"}`; errors carry `{"code", "message", "details"}`.
Request validation fails with 400 VALIDATION_ERROR in this dialect."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from herald.api.common import trace_id_for
from herald.errors import Forbidden, HeraldError, RateLimited, ValidationFailed

T = TypeVar("T")

# This dialect names errors by their status; the core's code is kept for the others.
_CODES = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "UPSTREAM_ERROR",
}


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Envelope(Shape, Generic[T]):
    success: bool = True
    data: T
    error: None = None
    trace_id: str


class ErrorBody(Shape):
    code: str
    message: str
    details: str | None = None


class ErrorEnvelope(Shape):
    success: bool = False
    data: None = None
    error: ErrorBody
    trace_id: str


def ok(request: Request, data: T) -> Envelope[T]:
    return Envelope[T](data=data, trace_id=trace_id_for(request))


def render(request: Request, error: HeraldError) -> JSONResponse:
    status = 400 if isinstance(error, ValidationFailed) else error.status
    code = "VALIDATION_ERROR" if isinstance(error, ValidationFailed) else error.code
    body = ErrorEnvelope(
        error=ErrorBody(
            code=_CODES.get(status, code), message=error.message, details=_details(error)
        ),
        trace_id=trace_id_for(request),
    )
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(body.model_dump(by_alias=True), status_code=status, headers=headers)


def _details(error: HeraldError) -> str | None:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{field}: {problem}" for field, problem in error.fields.items())
    if isinstance(error, Forbidden):
        if error.scope == "account_group_access":
            return "The key needs account_group_access to this account group."
        return f"Required permission: {error.scope}."
    if isinstance(error, RateLimited):
        return f"Retry after {error.retry_after} seconds."
    return None


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorEnvelope, "description": "Request validation failed"},
    401: {"model": ErrorEnvelope, "description": "Invalid or missing API key"},
    403: {"model": ErrorEnvelope, "description": "Missing permission or account group access"},
    404: {"model": ErrorEnvelope, "description": "Resource not found"},
    429: {"model": ErrorEnvelope, "description": "Rate limit exceeded"},
    500: {"model": ErrorEnvelope, "description": "Internal server error"},
}
