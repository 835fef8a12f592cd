"""Which methods a path accepts.

Starlette routes `GET /c/v1/campaigns/batch` to `GET /c/v1/campaigns/{campaign_id}` (with
the id "batch") and so answers a malformed id where the truth is a wrong method; and its
405 names only the methods of the first matching route, though a path often has a route
per method. Here the most literal route template that matches a path decides, for the
405 and for its `Allow` header (the same templates as in the OpenAPI document).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI, Request, Response, routing
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
    """Every method the path accepts: those of its most literal route template, else those
    of any route that takes it (a mount, such as the docs' assets)."""
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
    """The methods of the most literal route template matching `path`; None if none."""
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
    cached: list[Template] | None = getattr(app.state, "route_templates", None)
    if cached is not None:
        return cached
    methods_by_template: dict[str, set[str]] = {}
    for route in routing.iter_route_contexts(app.routes):
        template, methods = getattr(route, "path_format", None), getattr(route, "methods", None)
        if template and methods:
            methods_by_template.setdefault(template, set()).update(methods)
    found = [
        (
            re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))),
            template.count("{"),
            frozenset(methods),
        )
        for template, methods in methods_by_template.items()
    ]
    app.state.route_templates = found
    return found


class DocumentedMethods:
    """Answers 405 (with `Allow`) to a method no route template of the path takes."""

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
