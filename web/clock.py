"""The app's clock (replaceable in tests through the CLOCK config key)."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from models.clock import SystemClock, local_today


def init_app(app: Flask) -> None:
    app.extensions["clock"] = app.config.get("CLOCK") or SystemClock()


def now() -> dt.datetime:
    return current_app.extensions["clock"].now()


def today() -> dt.date:
    """Today's date where the deadlines are (GUANHU_TIMEZONE)."""
    return local_today(current_app.extensions["clock"], current_app.config["TIMEZONE"])
