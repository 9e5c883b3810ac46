"""Procura's logs: JSON lines on stderr, each carrying the ids the code acts
under (app.telemetry.logcontext) and the trace it is part of."""

from __future__ import annotations

import functools
import logging
import sys
import time
from typing import Any

from app.jsonbytes import json_bytes
from app.telemetry import tracing
from app.telemetry.logcontext import current_log_fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra={"fields": {...}}` adds members."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _local_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            # The ids a worker acts under (operation, correlation, projection).
            **current_log_fields(),
            **getattr(record, "fields", {}),
        }
        trace_id = tracing.trace_id()
        if trace_id is not None:
            entry["trace_id"] = trace_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json_bytes(entry, default=str).decode()


@functools.lru_cache(maxsize=4)
def _local_second(second: int) -> tuple[str, str]:
    """The second's local date and time, and its UTC offset."""
    moment = time.localtime(second)
    return time.strftime("%Y-%m-%dT%H:%M:%S", moment), time.strftime("%z", moment)


def _local_time(created: float) -> str:
    """`created` as local time to the millisecond, RFC 3339 with its offset
    (the second formatted once per second: strftime per line was costly)."""
    second, offset = _local_second(int(created))
    return f"{second}.{int(created * 1000) % 1000:03d}{offset[:3]}:{offset[3:]}"


def configure_logging(level: str = "info") -> None:
    """Send Procura's logs at `level` and above to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("procura")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


class _IntendedThreadCount(logging.Filter):
    """Drops granian's start-up warning that a worker's Python threads
    outnumber the cores: Procura's threads mostly wait on PostgreSQL, so
    that is the design (docs/operators/serving.md), and a warning at every start
    would teach operators to ignore warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "compared to the number of CPU cores" not in record.getMessage()


def server_logging() -> dict[str, Any]:
    """A logging dictConfig for the HTTP server's own lines (granian's
    `_granian` logger): JSON on stderr like Procura's, its access log off."""
    json_on_stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"}
    return {
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"intended_threads": {"()": _IntendedThreadCount}},
        "handlers": {"console": {**json_on_stderr, "filters": ["intended_threads"]}, "access": json_on_stderr},
        "loggers": {"_granian": {"handlers": ["console"], "propagate": False},
                    "granian.access": {"handlers": ["access"], "level": "CRITICAL", "propagate": False}},
    }
