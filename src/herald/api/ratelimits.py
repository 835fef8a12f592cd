"""Rate limits on every API route, per API key and route class (an ASGI middleware).

A request is counted against the key it authenticates as (its id, whatever the spelling
of its headers), or, when it carries no valid key, against its client address in the
`unauthenticated` class. Each response carries the IETF draft headers:
`RateLimit-Policy: "read";q=600;w=60` (quota, window in seconds) and
`RateLimit: "read";r=599;t=60` (remaining, seconds until the window frees up); a 429 also
carries `Retry-After`. Counters live in the process, or in Redis when HERALD_REDIS_URL is
set so that every process shares them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import structlog
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald.api.caller import Credentials, identify
from herald.bootstrap import Container
from herald.errors import HeraldError, RateLimited
from herald.kit import metrics
from herald.kit.ratelimit import Verdict
from herald.settings import Settings
from herald.tenancy.service import Principal

log = structlog.get_logger(__name__)

Render = Callable[[Request, HeraldError], Response]
READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RouteClass:
    name: str
    limit: str  # in the `limits` notation: "10/minute"
    # Only answers with this status count (the request holds a place while it runs);
    # None: every request counts.
    counts_status: int | None = None


# Routes with a limit of their own (method, path pattern, class, the status that counts).
# Such a request is also a "write". A class named N takes its limit from N_rate_limit.
OWN_LIMITS: list[tuple[str, re.Pattern[str], str, int | None]] = [
    # Seed 003: 10 batches per minute per key; what counts is a batch accepted (202), so
    # that fixing a refused request (401/402/403/422) does not lock its author out.
    ("POST", re.compile(r"^/c/v1/campaigns/batch/?$"), "batch", 202),
]


def route_classes(method: str, path: str, settings: Settings) -> list[RouteClass]:
    """The limits a request passes, the most specific last (its headers are answered)."""
    if method in READS:
        return [RouteClass("read", settings.read_rate_limit)]
    classes = [RouteClass("write", settings.write_rate_limit)]
    for own_method, pattern, name, status in OWN_LIMITS:
        if method == own_method and pattern.match(path):
            classes.append(RouteClass(name, str(getattr(settings, f"{name}_rate_limit")), status))
    return classes


def headers_for(route: RouteClass, verdict: Verdict) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{route.name}";q={verdict.limit};w={verdict.window}',
        "RateLimit": f'"{route.name}";r={verdict.remaining};t={verdict.reset_after}',
    }


class RateLimitMiddleware:
    """Limits the requests whose path `is_api(path)` accepts (the dialects' routes);
    `credentials(path)` says where that path's dialect reads the key."""

    def __init__(
        self,
        app: ASGIApp,
        render: Render,
        is_api: Callable[[str], bool],
        credentials: Callable[[str], Credentials],
    ) -> None:
        self.app = app
        self.render = render
        self.is_api = is_api
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        container: Container = scope["app"].state.container
        principal = await _identify(request, container, self.credentials(scope["path"]))
        if principal is None:
            caller = f"ip:{request.client.host if request.client else ''}"
            classes = [RouteClass("unauthenticated", container.settings.unauthenticated_rate_limit)]
        else:
            caller = f"key:{principal.key_id}"
            classes = route_classes(scope["method"], scope["path"], container.settings)
        gate = _Gate(container, caller)
        for route in classes:
            verdict = await gate.enter(route)
            if verdict is not None and not verdict.allowed:
                await self._refuse(request, route, verdict, scope, receive, send)
                return
        try:
            await self.app(scope, receive, gate.answering(send))
        finally:
            await gate.leave(accepted=False)

    async def _refuse(
        self,
        request: Request,
        route: RouteClass,
        verdict: Verdict,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        metrics.rate_limited.labels(route.name).inc()
        who = "API key" if route.name != "unauthenticated" else "client address"
        message = f"Too many {route.name} requests for this {who}. Retry after the delay."
        response = self.render(request, RateLimited(verdict.reset_after, message))
        response.headers.update(headers_for(route, verdict))
        await response(scope, receive, send)


class _Gate:
    """The limits one request passes: counted at once, or held until its status is known."""

    def __init__(self, container: Container, caller: str) -> None:
        self.container = container
        self.caller = caller
        self.shown: tuple[RouteClass, Verdict] | None = None
        self.held: RouteClass | None = None

    async def enter(self, route: RouteClass) -> Verdict | None:
        limiter = self.container.rate_limiter
        take = limiter.hit if route.counts_status is None else limiter.reserve
        verdict = await _safely(route, partial(take, route.limit, route.name, self.caller))
        if verdict is not None:
            self.shown = (route, verdict)
            if verdict.allowed and route.counts_status is not None:
                self.held = route
        return verdict

    async def leave(self, accepted: bool) -> None:
        route, self.held = self.held, None
        if route is None:
            return
        settle = self.container.rate_limiter.settle
        verdict = await _safely(
            route, partial(settle, route.limit, route.name, self.caller, accepted=accepted)
        )
        if verdict is not None:
            self.shown = (route, verdict)

    def answering(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                if self.held is not None:
                    await self.leave(accepted=message["status"] == self.held.counts_status)
                if self.shown is not None:
                    headers = MutableHeaders(scope=message)
                    for name, value in headers_for(*self.shown).items():
                        headers[name] = value
            await send(message)

        return sending


async def _identify(
    request: Request, container: Container, credentials: Credentials
) -> Principal | None:
    try:
        return await run_in_threadpool(identify, request, container, credentials)
    except Exception:
        # The route authenticates again and answers its own error; count by address.
        log.warning("ratelimit.identify_failed", exc_info=True)
        return None


async def _safely(route: RouteClass, take: Callable[[], Verdict]) -> Verdict | None:
    try:
        return await run_in_threadpool(take)
    except Exception:
        # A counter store that is down must not take the API down with it: let it through.
        log.warning("ratelimit.unavailable", route_class=route.name, exc_info=True)
        return None
