"""Which methods a path accepts, as the published OpenAPI document says.

Starlette routes `GET /c/v1/campaigns/batch` to `GET /c/v1/campaigns/{campaign_id}` (with
the id "batch") and so answers a malformed id where the truth is a wrong method; and its
405 names only the methods of the first matching route, though a path often has a route
per method. Here the most literal documented template that matches a path decides, for
the 405 and for its `Allow` header.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from herald.errors import HeraldError

Render = Callable[[Request, HeraldError], Response]
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class MethodNotAllowed(HeraldError):
    status = 405
    code = "METHOD_NOT_ALLOWED"

    def __init__(self) -> None:
        super().__init__("Method Not Allowed")


def allowed_methods(request: Request) -> list[str]:
    """Every method the path accepts: the documented ones, else those of any route (for
    the paths the document does not show, such as the dashboard's)."""
    documented = documented_methods(request.app, request.url.path)
    if documented is not None:
        return documented
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def documented_methods(app: FastAPI, path: str) -> list[str] | None:
    """The methods of the most literal documented template matching `path`; None if none."""
    matching = [
        (params, methods) for regex, params, methods in _templates(app) if regex.fullmatch(path)
    ]
    if not matching:
        return None
    fewest = min(params for params, _ in matching)
    allowed = set().union(*(methods for params, methods in matching if params == fewest))
    return [method for method in METHODS if method in allowed]


Template = tuple[re.Pattern[str], int, frozenset[str]]  # regex, parameters, methods


def _templates(app: FastAPI) -> list[Template]:
    cached: list[Template] | None = getattr(app.state, "documented_templates", None)
    if cached is not None:
        return cached
    found = []
    for template, operations in app.openapi()["paths"].items():
        regex = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))
        found.append((regex, template.count("{"), frozenset(m.upper() for m in operations)))
    app.state.documented_templates = found
    return found


class DocumentedMethods:
    """Answers 405 (with `Allow`) to a method the document does not give a path."""

    def __init__(self, app: ASGIApp, render: Render) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            allowed = documented_methods(scope["app"], scope["path"])
            if allowed is not None and scope["method"] not in allowed:
                request = Request(scope, receive)
                response = self.render(request, MethodNotAllowed())
                response.headers["Allow"] = ", ".join(allowed)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
