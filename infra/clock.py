"""The app's clock (replaceable in tests through the CLOCK setting) and the local date."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from models.clock import Clock, SystemClock, local_today


def init_app(app: Flask) -> None:
    app.extensions["clock"] = app.config.get("CLOCK") or SystemClock()


def clock() -> Clock:
    return current_app.extensions["clock"]


def now() -> dt.datetime:
    return clock().now()


def timezone() -> str:
    """Where deadlines are local dates (GUANHU_TIMEZONE)."""
    return current_app.config["TIMEZONE"]


def today() -> dt.date:
    """Today's date where the deadlines are."""
    return local_today(clock(), timezone())
