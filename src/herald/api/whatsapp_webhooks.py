"""/webhooks/whatsapp/{connection}: where Meta posts a WhatsApp connection's webhooks.
Routes only; herald.whatsapp.webhooks decides. Not part of any API dialect: Meta reads
only the status code (and, on the GET handshake, the echoed challenge)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from herald.api.common import container
from herald.errors import HeraldError
from herald.inbound.keywords import Keywords
from herald.inbound.service import inbound_sink
from herald.whatsapp import webhooks

router = APIRouter(prefix="/webhooks/whatsapp", include_in_schema=False)


def _refusal(error: HeraldError) -> Response:
    return JSONResponse({"code": error.code, "message": error.message}, status_code=error.status)


@router.get("/{connection}")
def verify_webhook(
    request: Request,
    connection: str,
    mode: str | None = Query(default=None, alias="hub.mode"),
    token: str | None = Query(default=None, alias="hub.verify_token"),
    challenge: str = Query(default="", alias="hub.challenge"),
) -> Response:
    try:
        with container(request).db.reading() as session:
            config = webhooks.connection(session, connection)
        return PlainTextResponse(webhooks.handshake(config, mode, token, challenge))
    except HeraldError as error:
        return _refusal(error)


@router.post("/{connection}")
async def receive_webhook(request: Request, connection: str) -> Response:
    body = await request.body()  # the raw bytes: the signature is over them
    app = container(request)
    sink = inbound_sink(app.clock, Keywords.from_settings(app.settings))
    try:
        await run_in_threadpool(
            webhooks.receive,
            app.db,
            app.clock,
            connection,
            body,
            request.headers.get("x-hub-signature-256"),
            app.receipts_sink,  # type: ignore[arg-type]
            sink,
        )
    except HeraldError as error:
        return _refusal(error)
    return Response(status_code=200)
