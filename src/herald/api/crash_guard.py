"""Unexpected exceptions become a 500 in the dialect's envelope, and the connection lives on.

Starlette answers an exception no handler took in its outermost middleware, and then
raises it again so that the server sees it; uvicorn then closes the keep-alive
connection, and a client's next request on it is reset. This middleware answers instead
and swallows the exception once it is logged (with the request's trace id, bound by the
observability middleware around it).
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald.errors import HeraldError

log = structlog.get_logger("herald.http")

Render = Callable[[Request, HeraldError], Response]


class InternalError(HeraldError):
    status = 500
    code = "INTERNAL_ERROR"

    def __init__(self) -> None:
        super().__init__("An internal error occurred. Quote the trace id when reporting it.")


class CrashGuard:
    def __init__(self, app: ASGIApp, render: Render) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = False

        async def sending(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("http.unhandled", method=scope["method"], path=scope["path"])
            if answered:
                raise  # half an answer is on the wire: only closing the connection is honest
            response = self.render(Request(scope, receive), InternalError())
            await response(scope, receive, send)
