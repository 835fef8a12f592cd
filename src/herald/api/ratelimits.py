"""Rate limits on every API route, per API key and route class (an ASGI middleware).

Each response carries the IETF draft headers: `RateLimit-Policy: "read";q=600;w=60`
(quota, window in seconds) and `RateLimit: "read";r=599;t=60` (remaining, seconds until
the window frees up); a 429 also carries `Retry-After`. Counters live in the process, or
in Redis when HERALD_REDIS_URL is set so that every process shares them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald.api.caller import caller_of
from herald.bootstrap import Container
from herald.errors import HeraldError, RateLimited
from herald.kit import metrics
from herald.kit.ratelimit import Verdict
from herald.settings import Settings

log = structlog.get_logger(__name__)

Render = Callable[[Request, HeraldError], Response]
READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RouteClass:
    name: str
    limit: str  # in the `limits` notation: "10/minute"


# Routes with a limit of their own (method, path pattern, class); every other route is a
# "read" or a "write". A class named N takes its limit from the setting N_rate_limit.
OWN_LIMITS: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/c/v1/campaigns/batch/?$"), "batch"),  # seed 003: 10 per minute
]


def route_class(method: str, path: str, settings: Settings) -> RouteClass:
    for own_method, pattern, name in OWN_LIMITS:
        if method == own_method and pattern.match(path):
            return RouteClass(name, str(getattr(settings, f"{name}_rate_limit")))
    if method in READS:
        return RouteClass("read", settings.read_rate_limit)
    return RouteClass("write", settings.write_rate_limit)


def headers_for(route: RouteClass, verdict: Verdict) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{route.name}";q={verdict.limit};w={verdict.window}',
        "RateLimit": f'"{route.name}";r={verdict.remaining};t={verdict.reset_after}',
    }


class RateLimitMiddleware:
    """Limits the requests whose path `is_api(path)` accepts (the dialects' routes)."""

    def __init__(self, app: ASGIApp, render: Render, is_api: Callable[[str], bool]) -> None:
        self.app = app
        self.render = render
        self.is_api = is_api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        container: Container = scope["app"].state.container
        route = route_class(scope["method"], scope["path"], container.settings)
        caller = caller_of(request.headers) or f"ip:{request.client.host if request.client else ''}"
        verdict = await _hit(container, route, caller)
        if verdict is None:
            await self.app(scope, receive, send)
            return
        extra = headers_for(route, verdict)
        if not verdict.allowed:
            metrics.rate_limited.labels(route.name).inc()
            message = f"Too many {route.name} requests for this API key. Retry after the delay."
            response = self.render(request, RateLimited(verdict.reset_after, message))
            response.headers.update(extra)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, _with_headers(send, extra))


async def _hit(container: Container, route: RouteClass, caller: str) -> Verdict | None:
    try:
        return await run_in_threadpool(container.rate_limiter.hit, route.limit, route.name, caller)
    except Exception:
        # A counter store that is down must not take the API down with it: let it through.
        log.warning("ratelimit.unavailable", route_class=route.name, exc_info=True)
        return None


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in extra.items():
                headers[name] = value
        await send(message)

    return sending
