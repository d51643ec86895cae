"""Logs: JSON lines (GUANHU_LOG_FORMAT=json, the default in production) or readable lines,
each with the id of the request it belongs to."""

from __future__ import annotations

import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

from flask import Flask, g, has_app_context


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_app_context() else "-"  # the WeChat door has no request
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time (ISO 8601 with its zone), level, logger, message, request id."""

    def __init__(self, timezone: str):
        super().__init__()
        self.zone = ZoneInfo(timezone)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, self.zone).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Send the `guanhu` loggers to standard error in the configured format (the last app made
    decides, once per process in production)."""
    logger = logging.getLogger("guanhu")
    for old in [h for h in logger.handlers if getattr(h, "guanhu", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler()
    handler.guanhu = True  # type: ignore[attr-defined]
    handler.addFilter(_RequestIdFilter())
    if (app.config["LOG_FORMAT"] or ("json" if app.config["PRODUCTION"] else "text")) == "json":
        handler.setFormatter(JsonLines(app.config["TIMEZONE"]))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
