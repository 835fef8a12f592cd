"""The published OpenAPI document says what the API does, no more and no less.

Routes declare the errors of their own logic (401, 403, 404, 402, 409, 422/400). What
the middlewares answer on every route of a dialect is declared here, once, so that a new
route carries it the day it is added: 429 (rate limits, with `Retry-After`), 500 (the
crash guard), and on every POST the answers of idempotency keys (409 in use, 422 reused).
Each is described with its dialect's error envelope.

FastAPI also adds to each route with parameters a 422 `HTTPValidationError` that Herald
never sends: each dialect renders validation errors in its own envelope (the outreach API
with 400). That entry becomes the dialect's own 422, or goes where the dialect says 400.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class DialectErrors:
    prefix: str
    model: type[BaseModel]  # the body of every error answer
    validation_status: int  # what a request that breaks the schema gets


ErrorModels = Sequence[DialectErrors]

_PHANTOM = "#/components/schemas/HTTPValidationError"
_UNSENT_COMPONENTS = ("HTTPValidationError", "ValidationError")

_EVERY_ROUTE: dict[str, str] = {
    "429": "Too many requests for this key and route class; `Retry-After` says when to retry.",
    "500": "An internal error; quote the trace id when reporting it.",
}
_EVERY_POST: dict[str, str] = {
    "409": "A request with this `Idempotency-Key` is still being processed.",
    "422": "This `Idempotency-Key` was used with a different request.",
}


def publish(app: FastAPI, error_models: ErrorModels) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.get("components", {}).get("schemas", {})
    for path, operations in document["paths"].items():
        dialect = _dialect(path, error_models)
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            phantom = _drop_phantom(responses)
            if dialect is None:
                continue
            ref = _ref(schemas, dialect.model)
            if phantom and dialect.validation_status == 422:
                _declare(responses, {"422": "The request breaks a rule; `fields` says which."}, ref)
            _declare(responses, _EVERY_ROUTE, ref)
            if method == "post":
                _declare(responses, _EVERY_POST, ref)
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer"},
            }
    _drop_unused(document, schemas)
    return document


def _dialect(path: str, error_models: ErrorModels) -> DialectErrors | None:
    matches = [
        dialect
        for dialect in error_models
        if path == dialect.prefix or path.startswith(dialect.prefix.rstrip("/") + "/")
    ]
    return max(matches, key=lambda dialect: len(dialect.prefix)) if matches else None


def _ref(schemas: dict[str, Any], model: type[BaseModel]) -> str:
    name = next(
        (key for key in schemas if key == model.__name__ or key.endswith(f"__{model.__name__}")),
        model.__name__,
    )
    return f"#/components/schemas/{name}"


def _declare(responses: dict[str, Any], described: dict[str, str], ref: str) -> None:
    for status, description in described.items():
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": ref}}},
            },
        )


def _drop_phantom(responses: dict[str, Any]) -> bool:
    response = responses.get("422", {})
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref") == _PHANTOM:
        del responses["422"]
        return True
    return False


def _drop_unused(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    for name in _UNSENT_COMPONENTS:
        schemas.pop(name, None)
    text = json.dumps(document)
    for name in _UNSENT_COMPONENTS:  # unless something still points at them
        if f'"#/components/schemas/{name}"' in text:
            raise AssertionError(f"{name} is still referenced in the OpenAPI document")
