"""What every API dialect shares: the trace id of a request, turning request validation
errors into the core's ValidationFailed, and reaching the container."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from herald.bootstrap import Container
from herald.errors import ValidationFailed

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
