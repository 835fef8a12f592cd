"""The outermost middleware: a trace id for every request, on every log line it causes.

The trace id comes from an incoming W3C `traceparent` or is made up; it is returned in
`X-Trace-Id`, in the error bodies of every dialect, and bound to structlog's context so
that each log line written while the request runs carries it. Each request also leaves
one access log line and is counted by route template and status for /metrics.
"""

from __future__ import annotations

import time

import structlog
from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald.api.common import trace_id_for
from herald.kit import metrics

log = structlog.get_logger("herald.http")

# Scraped or probed every few seconds: counted, but not worth a log line each.
QUIET_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = trace_id_for(Request(scope))
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Trace-Id"] = trace_id
            await send(message)

        with structlog.contextvars.bound_contextvars(trace_id=trace_id):
            try:
                await self.app(scope, receive, sending)
            finally:
                self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        metrics.http_requests.labels(route, method, str(status)).inc()
        metrics.http_request_seconds.labels(route, method).observe(seconds)
        if scope["path"] in QUIET_PATHS and status < 500:
            return
        log.info(
            "http.request",
            method=method,
            path=scope["path"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )
