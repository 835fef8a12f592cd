"""structlog set-up: readable lines on a terminal, JSON lines in production.

Everything goes through one stdlib handler, so that lines from libraries (uvicorn,
SQLAlchemy, alembic) have the same format as ours, and every line written while a
request runs carries its `trace_id` (bound by herald.api.observability).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(
    fmt: str = "console", level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """`fmt` is "json" (one JSON object per line) or "console" (for `make run`); lines go
    to `stream` (standard error by default)."""
    stream = stream or sys.stderr
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: reconfiguring (the tests do) must reach loggers already in use.
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _keep,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def _keep(
    logger: object, method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    return event  # the console renderer prints tracebacks itself
