"""`Idempotency-Key` on every POST of every dialect (an ASGI middleware).

The same key with the same request within the key's lifetime (24 h) answers with the
first response and runs nothing; errors are rendered in the calling dialect's envelope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald.api.caller import caller_of
from herald.bootstrap import Container
from herald.errors import HeraldError, ValidationFailed
from herald.idempotency import service
from herald.idempotency.service import Claim, StoredResponse, Verdict
from herald.kit import metrics

Render = Callable[[Request, HeraldError], Response]
HEADER = "idempotency-key"
# Responses larger than this are not kept (the key is released instead).
MAX_STORED_BODY = 1 << 20


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, render: Render) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = request.headers.get(HEADER)
        caller = caller_of(request)
        if key is None or caller is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= service.MAX_KEY_LENGTH or "\x00" in key:
            # PostgreSQL cannot store a NUL; some HTTP servers pass one through in a header.
            error = ValidationFailed(
                {"Idempotency-Key": "Use 1 to 255 characters, without the NUL character."}
            )
            await self.render(request, error)(scope, receive, send)
            return
        body = await _read_body(receive)
        container: Container = scope["app"].state.container
        query = scope.get("query_string", b"").decode()
        same = fingerprint(scope["method"], scope["path"], query, body)
        try:
            claim = await run_in_threadpool(_begin, container, caller, key, same)
        except HeraldError as error:
            await self.render(request, error)(scope, receive, send)
            return
        if claim.verdict is Verdict.REPLAY:
            assert claim.response is not None
            metrics.idempotent_replays.inc()
            await _replay(claim.response)(scope, receive, send)
            return
        await self._run(scope, _replaying(body, receive), send, container, claim)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, container: Container, claim: Claim
    ) -> None:
        captured = _Capture(send)
        try:
            await self.app(scope, receive, captured.send)
        except BaseException:
            await run_in_threadpool(_release, container, claim)
            raise
        response = captured.response()
        if response is not None and service.worth_keeping(response.status):
            await run_in_threadpool(_complete, container, claim, response)
        else:
            await run_in_threadpool(_release, container, claim)


class _Capture:
    """Passes the response through while keeping a copy of it."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status: int | None = None
        self.content_type: str | None = None
        self.chunks: list[bytes] = []
        self.size = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size <= MAX_STORED_BODY:
                self.chunks.append(chunk)
        await self._send(message)

    def response(self) -> StoredResponse | None:
        if self.status is None or self.size > MAX_STORED_BODY:
            return None
        return StoredResponse(self.status, self.content_type, b"".join(self.chunks))


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and body (a JSON body is
    compared by value, not by spacing or key order)."""
    digest = hashlib.sha256()
    for part in (method, path, query):
        digest.update(part.encode() + b"\0")
    digest.update(_canonical(body))
    return digest.hexdigest()


def _canonical(body: bytes) -> bytes:
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body


def _replay(stored: StoredResponse) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    return Response(stored.body, stored.status, headers, media_type=stored.content_type)


def _ttl(container: Container) -> timedelta:
    return timedelta(hours=container.settings.idempotency_ttl_hours)


def _begin(container: Container, caller: str, key: str, fingerprint: str) -> Claim:
    with container.db.transaction() as session:
        return service.begin(session, container.clock, caller, key, fingerprint, _ttl(container))


def _complete(container: Container, claim: Claim, response: StoredResponse) -> None:
    with container.db.transaction() as session:
        service.complete(session, claim.key_id, response)


def _release(container: Container, claim: Claim) -> None:
    with container.db.transaction() as session:
        service.release(session, claim.key_id)
