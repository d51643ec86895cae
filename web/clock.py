"""The app's clock (replaceable in tests through the CLOCK config key)."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from models.clock import SystemClock


def init_app(app: Flask) -> None:
    app.extensions["clock"] = app.config.get("CLOCK") or SystemClock()


def now() -> dt.datetime:
    return current_app.extensions["clock"].now()
