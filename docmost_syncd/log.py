"""structlog set-up: JSON lines for journald and pipes, readable colours on a terminal.

Events have stable dotted names (``sync.started``, ``space.published``...) documented in the
README; ``run_id`` and ``space`` are bound with structlog's contextvars so every line of a space
job carries them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

_SECRET_KEY_PARTS = ("password", "token", "cookie", "authorization", "secret")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def redact_secrets(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Last line of defence: a field whose name smells of a secret never reaches the output."""
    for key in list(event):
        if any(part in key.lower() for part in _SECRET_KEY_PARTS):
            event[key] = "[redacted]"
    return event


def configure_logging(
    fmt: str = "auto", level: str = "info", stream: TextIO | None = None, to: str = "stderr"
) -> None:
    """Configure structlog once per process; ``auto`` means JSON unless the log stream is a
    terminal. ``to`` names the standard stream (``log.stream``) when no ``stream`` is given."""
    out = stream if stream is not None else (sys.stdout if to == "stdout" else sys.stderr)
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def get_logger(**bound: Any) -> Any:
    """A structlog logger; typed Any because structlog's BoundLogger protocol is loose."""
    return structlog.get_logger("docmost_syncd").bind(**bound)
