"""structlog set-up: readable lines on a terminal, JSON lines in production.

Everything goes through one stdlib handler, so that lines from libraries (uvicorn,
SQLAlchemy, alembic) have the same format as ours, and every line written while a
request runs carries its `trace_id` (bound by herald.api.observability).

Two rules keep logging from hurting the server:
- a log call never writes: it puts the record on a bounded queue and returns, and one
  background thread renders and writes it. A slow terminal or pipe then slows that thread
  only, never the event loop; when the queue is full, lines are dropped and counted rather
  than waited for.
- a traceback is plain text of at most `TRACEBACK_FRAMES` frames, without the values of
  local variables (they can hold API keys and personal data), in both formats.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
import traceback
from typing import Any, TextIO

import structlog

QUEUE_SIZE = 10_000
TRACEBACK_FRAMES = 30  # the innermost ones: where it failed


def _merge_record_context(
    logger: object, method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Context (the trace id) that a library's record carried across the queue."""
    record = event.get("_record")
    context = getattr(record, "herald_context", None)
    if context:
        for key, value in context.items():
            event.setdefault(key, value)
    return event


SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _capture_exc_info(
    logger: object, method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """`log.exception(...)` means the exception being handled now, in this thread: take it
    before the record crosses to the writer thread."""
    if event.get("exc_info") is True:
        event["exc_info"] = sys.exc_info()
    return event


def exception_text(exc_info: Any) -> str:
    """A plain traceback, innermost frames only, no local variables."""
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not exc_info or exc_info[0] is None:
        return ""
    lines = traceback.format_exception(*exc_info, limit=-TRACEBACK_FRAMES)
    return "".join(lines).rstrip("\n")


def _render_exception(
    logger: object, method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    exc_info = event.pop("exc_info", None)
    if exc_info:
        text = exception_text(exc_info)
        if text:
            event["exception"] = text
    return event


class _Enqueue(logging.handlers.QueueHandler):
    """Hands records to the writer thread without rendering them here, and drops a record
    rather than wait when the queue is full."""

    dropped = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if not isinstance(record.msg, dict):  # a library's line: freeze its text now
            record.msg = record.getMessage()
            record.args = None
            record.herald_context = structlog.contextvars.get_contextvars()
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            _Enqueue.dropped += 1


_listener: logging.handlers.QueueListener | None = None
_queue: queue.Queue[logging.LogRecord] | None = None


def configure_logging(
    fmt: str = "console", level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """`fmt` is "json" (one JSON object per line) or "console" (for `make run`); lines go
    to `stream` (standard error by default), written by a background thread."""
    global _listener, _queue
    stop_logging()
    stream = stream or sys.stderr
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            _capture_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: reconfiguring (the tests do) must reach loggers already in use.
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[_merge_record_context, *SHARED_PROCESSORS],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _render_exception,
            renderer,
        ],
    )
    writer = logging.StreamHandler(stream)
    writer.setFormatter(formatter)
    _queue = queue.Queue(QUEUE_SIZE)
    _listener = logging.handlers.QueueListener(_queue, writer)
    _listener.start()
    root = logging.getLogger()
    root.handlers = [_Enqueue(_queue)]
    root.setLevel(level)


def ensure_configured() -> None:
    """For an app embedded without `configure_logging` (tests, another server): replace
    structlog's own default, which renders tracebacks with their local variables, by plain
    lines on standard error."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _render_exception,
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def flush_logs() -> None:
    """Wait until every line logged so far is written."""
    if _queue is not None:
        _queue.join()


def stop_logging() -> None:
    """Write what is queued and stop the writer thread (at exit, or before reconfiguring)."""
    global _listener, _queue
    if _listener is not None:
        _listener.stop()
    _listener = _queue = None
    logging.getLogger().handlers = []


def dropped_lines() -> int:
    """Lines dropped because the writer could not keep up."""
    return _Enqueue.dropped


atexit.register(stop_logging)
