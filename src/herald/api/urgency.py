"""Marks the work of an HTTP request urgent for SQLite's writer turn (herald.kit.writer):
someone is waiting for the answer, unlike the worker loops."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from herald.kit.writer import urgent_writes


class UrgentWrites:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = urgent_writes.set(scope["type"] == "http")
        try:
            await self.app(scope, receive, send)
        finally:
            urgent_writes.reset(token)
