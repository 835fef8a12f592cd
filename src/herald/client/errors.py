"""Typed exceptions of the Herald client, parsed from whichever envelope a dialect answers
with: messaging `{code, message, status, trace_id, fields}`, outreach `{success, error:
{code, message, details}, traceId}` and voice `{error: {code, message, status, trace_id,
fields, required_scope}}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HeraldClientError(Exception):
    """Anything the client raises."""


class HeraldConnectionError(HeraldClientError):
    """No HTTP answer came back (refused, reset, timed out), after the retries allowed."""


class HeraldAPIError(HeraldClientError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        trace_id: str | None = None,
        fields: Mapping[str, str] | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.trace_id = trace_id
        self.fields: dict[str, str] = dict(fields or {})
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        text = f"{self.status} {self.code}: {self.message}" + (f" ({detail})" if detail else "")
        return text + (f" [trace_id {self.trace_id}]" if self.trace_id else "")


class BadRequest(HeraldAPIError):
    pass


class Unauthorized(HeraldAPIError):
    pass


class InsufficientFunds(HeraldAPIError):
    pass


class Forbidden(HeraldAPIError):
    pass


class NotFound(HeraldAPIError):
    pass


class Conflict(HeraldAPIError):
    pass


class ValidationError(HeraldAPIError):
    """The request breaks a rule; `fields` maps each offending field to its problem."""


class RateLimited(HeraldAPIError):
    """Too many requests; `retry_after` is the wait the server asked for, in seconds."""


class ServerError(HeraldAPIError):
    pass


BY_STATUS: dict[int, type[HeraldAPIError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: InsufficientFunds,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
}


def error_for(
    status: int, body: Any, headers: Mapping[str, str], retry_after: float | None
) -> HeraldAPIError:
    """The exception for an error answer, whatever the dialect's envelope."""
    fields: dict[str, str] = {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):  # outreach or voice
        outer: dict[str, Any] = body
        code = str(error.get("code", status))
        message = str(error.get("message", ""))
        trace_id = error.get("trace_id") or outer.get("traceId")
        fields = _fields(error.get("fields"))
        if code == "VALIDATION_ERROR":
            fields = fields or _outreach_details(error.get("details"))
    elif isinstance(body, dict) and "code" in body:  # messaging
        code, message = str(body["code"]), str(body.get("message", ""))
        trace_id = body.get("trace_id")
        fields = _fields(body.get("fields"))
    else:  # not one of ours (a proxy's page, a framework default)
        code = f"HTTP_{status}"
        message = str(body.get("detail", body)) if isinstance(body, dict) else str(body)[:200]
        trace_id = None
    trace_id = trace_id or headers.get("x-trace-id")
    kind = BY_STATUS.get(status, ServerError if status >= 500 else HeraldAPIError)
    if status == 400 and code == "VALIDATION_ERROR":
        kind = ValidationError  # the outreach dialect's validation failures are 400s
    return kind(
        message or code,
        status=status,
        code=code,
        trace_id=trace_id,
        fields=fields,
        body=body,
        retry_after=retry_after,
    )


def _fields(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _outreach_details(details: Any) -> dict[str, str]:
    """'leads.0.phone: problem; name: problem' -> {field: problem}."""
    if not isinstance(details, str) or ": " not in details:
        return {}
    pairs = (part.split(": ", 1) for part in details.split("; ") if ": " in part)
    return {field: problem for field, problem in pairs}
