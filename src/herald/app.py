"""create_app(): the HTTP application. No I/O happens at import time; the container (database,
workers, providers) is built in the lifespan unless one is handed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from herald import __version__
from herald.api import caller
from herald.api import voice as voice_api
from herald.api.accounts import envelope as accounts_envelope
from herald.api.accounts.routes import router as accounts_router
from herald.api.c_v1 import errors as c_v1_errors
from herald.api.c_v1.carrier_routes import router as c_v1_carriers_router
from herald.api.c_v1.inbound_routes import router as c_v1_inbound_router
from herald.api.c_v1.routes import router as c_v1_router
from herald.api.c_v1.schemas import ErrorOut
from herald.api.c_v1.webhook_routes import router as c_v1_webhooks_router
from herald.api.caller import Credentials
from herald.api.common import container, validation_failed
from herald.api.contract import DialectErrors, ErrorModels, publish
from herald.api.crash_guard import CrashGuard
from herald.api.email.routes import router as email_router
from herald.api.idempotency import IdempotencyMiddleware
from herald.api.inputs import reject_nul
from herald.api.methods import DocumentedMethods, allowed_methods
from herald.api.observability import RequestObservability
from herald.api.ratelimits import RateLimitMiddleware
from herald.api.urgency import UrgentWrites
from herald.api.whatsapp_webhooks import router as whatsapp_webhooks_router
from herald.bootstrap import Container, build
from herald.errors import HeraldError, NotFound, ValidationFailed
from herald.kit.logging import ensure_configured
from herald.kit.ratelimit import RateLimiter
from herald.operations import exposition
from herald.settings import Settings
from herald.web.routes import router as dashboard_router

Renderer = Callable[[Request, HeraldError], Response]

# Each dialect renders errors in its own envelope; the longest matching prefix wins.
DIALECTS: list[tuple[str, Renderer]] = [
    ("/c/v1", c_v1_errors.render),
    ("/v1/accounts", accounts_envelope.render),
    *((prefix, voice_api.render) for prefix in voice_api.PREFIXES),
]

# The body of an error in each dialect, for the OpenAPI document.
ERROR_MODELS: ErrorModels = [
    DialectErrors("/c/v1", ErrorOut, validation_status=422),
    DialectErrors("/v1/accounts", accounts_envelope.ErrorEnvelope, validation_status=400),
    *(DialectErrors(p, voice_api.VoiceErrorEnvelope, 422) for p in voice_api.PREFIXES),
]


# Where each dialect reads the API key (rate limits identify the key the same way).
CREDENTIALS: list[tuple[str, Credentials]] = [
    ("/c/v1", caller.X_API_KEY),
    ("/v1/accounts", caller.EITHER),
    *((prefix, caller.BEARER) for prefix in voice_api.PREFIXES),
]


def _credentials(path: str) -> Credentials:
    matches = [(prefix, kinds) for prefix, kinds in CREDENTIALS if _under(path, prefix)]
    if not matches:
        return caller.EITHER
    return max(matches, key=lambda match: len(match[0]))[1]


def _renderer(request: Request) -> Renderer:
    path = request.url.path
    matches = [(prefix, render) for prefix, render in DIALECTS if _under(path, prefix)]
    if not matches:
        # An unknown path under /v1 is the voice API's (the outreach one's are under
        # /v1/accounts, matched above); anything else answers like /c/v1.
        return voice_api.render if _under(path, "/v1") else c_v1_errors.render
    return max(matches, key=lambda match: len(match[0]))[1]


def _under(path: str, prefix: str) -> bool:
    """`/v1/campaigns/x` is under `/v1/campaigns`; `/v1/campaignsx` is not."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def create_app(
    app_container: Container | None = None,
    settings: Settings | None = None,
    start_workers: bool | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = app_container or build(settings)
        if built.settings.redis_url:
            built.rate_limiter = RateLimiter(built.settings.redis_url)
        app.state.container = built
        run = built.settings.run_workers if start_workers is None else start_workers
        if run:
            built.start_workers()
        try:
            yield
        finally:
            if app_container is None:
                built.stop()

    ensure_configured()
    # /docs and /redoc load Swagger UI and ReDoc from files shipped in the package
    # (fastapi-offline), not from a CDN: the docs work on a machine without Internet.
    app = FastAPIOffline(
        title="Herald",
        version=__version__,
        description="Outreach campaign engine: the messaging API (/c/v1).",
        lifespan=lifespan,
        # No route sees a NUL character: PostgreSQL cannot store one in text.
        dependencies=[Depends(reject_nul)],
        static_url="/docs-assets",
    )
    app.include_router(c_v1_router)
    app.include_router(c_v1_webhooks_router)
    app.include_router(c_v1_inbound_router)
    app.include_router(c_v1_carriers_router)
    app.include_router(accounts_router)
    app.include_router(voice_api.router)
    app.include_router(dashboard_router)
    app.include_router(email_router)
    app.include_router(whatsapp_webhooks_router)
    _add_error_handlers(app)
    _add_health(app)
    app.openapi = _published(app)  # type: ignore[method-assign]

    # The last added runs first: observability (trace id, access log, request metrics)
    # sees every request, then the crash guard (an unexpected exception becomes a 500
    # in the dialect's envelope), then 405 for a method the document does not give a
    # path, then rate limits (a replayed POST still counts), then
    # idempotency keys.
    app.add_middleware(IdempotencyMiddleware, render=_render_error)
    app.add_middleware(
        RateLimitMiddleware, render=_render_error, is_api=_is_api, credentials=_credentials
    )
    app.add_middleware(DocumentedMethods, render=_render_error)
    app.add_middleware(CrashGuard, render=_render_error)
    app.add_middleware(RequestObservability)
    app.add_middleware(UrgentWrites)

    return app


def _published(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = publish(app, ERROR_MODELS)
        return app.openapi_schema

    return openapi


def _render_error(request: Request, error: HeraldError) -> Response:
    return _renderer(request)(request, error)


def _is_api(path: str) -> bool:
    return any(_under(path, prefix) for prefix, _ in DIALECTS)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HeraldError)
    async def on_herald_error(request: Request, exc: HeraldError) -> Response:
        return _renderer(request)(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return _renderer(request)(request, validation_failed(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _renderer(request)(request, NotFound("No such route."))
        if exc.status_code == 400:
            # FastAPI could not decode the body (e.g. it is not UTF-8): a request
            # validation failure like a malformed JSON body, in each dialect's terms.
            return _renderer(request)(request, ValidationFailed({"body": UNDECODABLE_BODY}))
        error = HeraldError(str(exc.detail))
        error.status = exc.status_code
        error.code = "METHOD_NOT_ALLOWED" if exc.status_code == 405 else "HTTP_ERROR"
        response = _renderer(request)(request, error)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    # Unexpected exceptions are answered by herald.api.crash_guard.CrashGuard.


UNDECODABLE_BODY = "The body could not be decoded: send UTF-8 JSON."


def _add_health(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={
            200: {
                "description": "The Prometheus text exposition format.",
                "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            }
        },
    )
    def prometheus_metrics(request: Request) -> Response:
        app_container = container(request)
        body = exposition(app_container.db, app_container.clock)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the database answers",
        responses={503: {"description": "The database does not answer."}},
    )
    def readyz(request: Request) -> Response:
        try:
            with container(request).db.reading() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok"})
