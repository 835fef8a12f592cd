"""What every API dialect shares: the trace id of a request, turning request validation
errors into the core's ValidationFailed, and reaching the container."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator

from herald.bootstrap import Container
from herald.errors import ValidationFailed

# What the OpenAPI document says an id looks like. Only documented: the routes check ids
# themselves and answer in their dialect's words, never with a regular expression.
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_V7_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)


def id_in_path(description: str, pattern: str = UUID_V7_PATTERN, alias: str | None = None) -> Any:
    return Path(alias=alias, description=description, json_schema_extra={"pattern": pattern})


# A UUIDv7 in the path, and a cursor: the id of the last item of the previous page, or
# empty (the same as no cursor: the first page).
V7Id = Annotated[str, id_in_path("A UUIDv7.")]
V7Cursor = Annotated[
    str | None,
    Query(
        description="The `next_cursor` of the previous page; absent or empty for the first.",
        json_schema_extra={"pattern": f"(^$)|({UUID_V7_PATTERN})"},
    ),
]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_8601(value: object) -> object:
    # pydantic would also read "0.5" as seconds since 1970; the document says date-time.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("Give a date and time in ISO 8601, e.g. 2030-01-01T09:00:00Z")
    return value


# A date and time in a query string, as OpenAPI's `date-time` format has it.
QueryDateTime = Annotated[datetime, BeforeValidator(_iso_8601)]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def trace_id_for(request: Request) -> str:
    """The W3C trace id of an incoming `traceparent`, or a new one."""
    existing = getattr(request.state, "trace_id", None)
    if existing:
        return str(existing)
    match = _TRACEPARENT.match(request.headers.get("traceparent", ""))
    trace_id = match.group(1) if match else uuid.uuid4().hex
    request.state.trace_id = trace_id
    return trace_id


def _field_message(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "The body is not valid JSON."
    if kind == "too_long" and "max_length" in ctx:
        return f"Ensure this value has at most {ctx['max_length']} items."
    if kind == "too_short" and "min_length" in ctx:
        return f"Ensure this value has at least {ctx['min_length']} items."
    message = str(error.get("msg", "Invalid value"))
    message = message.removeprefix("Value error, ")
    return message if message.endswith(".") else message + "."


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_failed(exc: RequestValidationError) -> ValidationFailed:
    fields: dict[str, str] = {}
    for error in exc.errors():
        name = _field_name(tuple(error.get("loc", ())))
        if error.get("type") == "json_invalid":
            name = "body"
        fields.setdefault(name, _field_message(error))
    return ValidationFailed(fields)
