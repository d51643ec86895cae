"""Jinja filters shared by the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask, current_app

from models.assets.entities import format_wan
from models.clock import local_time


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["wan"] = _wan
    app.jinja_env.filters["local_time"] = _local_time


def _wan(yuan: Decimal | None) -> str:
    return "" if yuan is None else format_wan(yuan)


def _local_time(instant: dt.datetime) -> str:
    return local_time(instant, current_app.config["TIMEZONE"])
