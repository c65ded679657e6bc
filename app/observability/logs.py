"""Log lines: text for a terminal, or one JSON object a line (``ONESEAL_LOG_FORMAT=json``) for a
log shipper. Every line written while a request runs carries its request id. The access line
(logger ``oneseal.access``) holds the time, level, request id, method, endpoint, status,
duration and user name, never a URL, a query string or a body (they may hold personal data)."""
from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from app.observability.context import current_request_id

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
ACCESS_LOGGER = "oneseal.access"
#: ``extra={FIELDS: {...}}`` adds these keys to a JSON line
FIELDS = "oneseal_fields"
_OURS = "oneseal_handler"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configured_elsewhere() -> bool:
    """Whether the root logger has handlers someone else installed (a test runner's, say)."""
    return any(not getattr(h, _OURS, False) for h in logging.getLogger().handlers)


def configure_logging(log_format: str) -> None:
    """One handler on the root logger (stderr) with the chosen format, in place of the one an
    earlier call installed; INFO and up."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"ONESEAL_LOG_FORMAT 应为 text 或 json：{log_format}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OURS, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _OURS, True)
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("spiff").setLevel(logging.WARNING)


def gunicorn_log_config(log_format: str) -> dict[str, Any]:
    """gunicorn's own loggers in the same format (``logconfig_dict``)."""
    factory = "app.observability.logs.JsonFormatter" if log_format == "json" else "logging.Formatter"
    fmt = {} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"oneseal": {"()": factory, **fmt}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "oneseal",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
                    "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False}},
    }
