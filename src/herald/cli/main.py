"""The `herald` command: wires each domain's commands together."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from herald.errors import HeraldError, ValidationFailed

from .api_commands import register as register_api_commands
from .billing import price_app, wallet_app
from .connections import connection_app, route_app
from .outreach import account_group_app
from .routing import carrier_app
from .simulator import simulator_app
from .tenancy import key_app, remitter_app, tenant_app
from .voice import voice_app
from .webhooks import webhook_app
from .whatsapp import whatsapp_app

# Set by `herald --debug`: an unexpected error shows its traceback.
_debug = False


class HeraldGroup(TyperGroup):
    """The command line's one error handler: a refusal (HeraldError) or an unexpected
    failure is one plain line on stderr and exit status 1; typer's own usage errors and
    exits keep their handling."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except HeraldError as exc:
            _fail(_one_line(exc))
        except Exception as exc:
            if _debug or type(exc).__module__.startswith("typer."):
                raise
            _fail(
                f"unexpected error ({type(exc).__name__}); run `herald --debug …` again "
                "to see its traceback."
            )


def _one_line(error: HeraldError) -> str:
    message = error.message
    if isinstance(error, ValidationFailed) and error.fields:
        # The fields say what is wrong; the generic sentence adds nothing.
        message = "; ".join(f"{field}: {reason}" for field, reason in error.fields.items())
    return " ".join(message.split())


def _fail(line: str) -> NoReturn:
    print(f"error: {line}", file=sys.stderr)
    raise typer.Exit(1)


app = typer.Typer(
    help="Herald: outreach campaign engine.",
    no_args_is_help=True,
    cls=HeraldGroup,
    pretty_exceptions_enable=False,
)
app.add_typer(tenant_app, name="tenant")
app.add_typer(whatsapp_app, name="whatsapp")
app.add_typer(key_app, name="key")
app.add_typer(remitter_app, name="remitter")
app.add_typer(wallet_app, name="wallet")
app.add_typer(price_app, name="price")
app.add_typer(carrier_app, name="carrier")
app.add_typer(connection_app, name="connection")
app.add_typer(route_app, name="route")
app.add_typer(simulator_app, name="simulator")
app.add_typer(webhook_app, name="webhook")
app.add_typer(account_group_app, name="account-group")
app.add_typer(voice_app, name="voice")
register_api_commands(app)  # campaign, messages, voice-campaign, outreach-campaign (HTTP)


@app.callback()
def _logs_to_stderr(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
    ] = False,
) -> None:
    # Commands print their results (often --json) on stdout: log lines, warnings and up
    # only, go to stderr. `serve` configures its own logging.
    from herald.kit.logging import configure_logging

    global _debug
    _debug = debug
    configure_logging(level=logging.WARNING)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
    workers: Annotated[
        bool, typer.Option("--workers/--no-workers", help="Run the queue workers in-process.")
    ] = True,
) -> None:
    """Start the HTTP API, the workers and the carrier simulator in one process."""
    import uvicorn

    from herald.app import create_app
    from herald.kit.logging import configure_logging
    from herald.settings import Settings

    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    configure_logging(settings.log_format)
    base = f"http://{host}:{port}"
    typer.echo(
        f"Herald {settings.effective_database_url.split('://')[0]} database: "
        f"{settings.effective_database_url}"
    )
    typer.echo(f"API:  {base}/c/v1   docs: {base}/docs   health: {base}/healthz")
    uvicorn.run(
        create_app(settings=settings, start_workers=workers),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,  # uvicorn's lines go through Herald's log format (kit/logging.py)
    )


@app.command()
def worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve this process's Prometheus metrics on 127.0.0.1:PORT/metrics."),
    ] = None,
) -> None:
    """Run the queue workers and carrier connections without HTTP, until SIGTERM or Ctrl-C.

    Beside `herald serve --no-workers` this puts the API and the workers on separate cores;
    on PostgreSQL any number of workers on any number of machines share the queue."""
    import signal
    import threading

    from herald.bootstrap import build
    from herald.kit.logging import configure_logging
    from herald.settings import Settings

    settings = Settings()
    configure_logging(settings.log_format)
    container = build(settings)
    if metrics_port is not None:
        # Counters of what this process did (carrier submits, binds, receipts...); the
        # database-wide gauges are in any API process's /metrics.
        from prometheus_client import start_http_server

        from herald.kit.metrics import REGISTRY

        start_http_server(metrics_port, addr="127.0.0.1", registry=REGISTRY)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    container.start_workers()
    typer.echo(f"Herald worker {container.worker_id} running; stop with Ctrl-C.")
    stopping.wait()
    container.stop()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (serve does this on start)."""
    from herald.kit import migrate as migrations
    from herald.kit.db import create_engine_for
    from herald.settings import Settings

    engine = create_engine_for(Settings().effective_database_url)
    migrations.upgrade(engine)
    engine.dispose()
    typer.echo("database is up to date")


if __name__ == "__main__":
    app()
