"""Structured logs: one JSON object per line, with the request id when there is one."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str] = ContextVar("request_id", default="")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; ``extra=`` fields are kept."""

    _skip = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := request_id.get():
            entry["request_id"] = rid
        entry.update({k: v for k, v in vars(record).items() if k not in self._skip})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def dict_config(level: str = "INFO") -> dict[str, Any]:
    """The logging set-up as a :func:`logging.config.dictConfig` dictionary: every record to
    standard error as JSON lines. Given to uvicorn as ``log_config``, so that each server
    process it starts (``--workers N``) logs the same way.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "onewindow.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # The request middleware logs each request once, with more than the access log.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            # Readiness checks read the migration state often; its notes are noise.
            "alembic": {"level": "WARNING"},
        },
    }


def configure(level: str = "INFO") -> None:
    """Send every log record to standard error as JSON lines."""
    logging.config.dictConfig(dict_config(level))
