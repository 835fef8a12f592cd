"""herald simulator smsc: a local SMSC to try the SMPP path without a carrier."""

from __future__ import annotations

from typing import Annotated

import typer

simulator_app = typer.Typer(help="Simulated carriers for local trials.", no_args_is_help=True)


@simulator_app.command("smsc")
def smsc(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 2775,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    receipt_delay_ms: Annotated[
        float, typer.Option("--receipt-delay-ms", help="Delay before each delivery receipt.")
    ] = 500.0,
    max_tps: Annotated[
        int, typer.Option("--max-tps", help="Answer ESME_RTHROTTLED beyond this rate (0: none).")
    ] = 0,
    system_id: Annotated[
        str | None, typer.Option("--system-id", help="Accept only this account (default: any).")
    ] = None,
    password: Annotated[str | None, typer.Option(help="Accept only this password.")] = None,
) -> None:
    """Run an SMPP 3.4 SMSC simulator until interrupted. Numbers ending in 0666 are refused,
    0997/0998/0999 get FAILED/EXPIRED/UNDELIVERED receipts, the rest DELIVERED."""
    import asyncio
    import contextlib
    import signal

    from herald.providers.smpp.smsc import Smsc, SmscBehaviour

    behaviour = SmscBehaviour(
        receipt_delay=receipt_delay_ms / 1000,
        max_tps=max_tps,
        system_id=system_id,
        password=password,
    )

    async def serve() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        server = Smsc(behaviour, host, port)
        bound = await server.start()
        typer.echo(f"SMSC simulator listening on {host}:{bound} (SMPP 3.4); Ctrl-C stops it")
        try:
            await stopping.wait()
        finally:
            await server.stop()
            typer.echo(f"accepted {len(server.accepted)} submit_sm")

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
