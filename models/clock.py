"""The clock is injected so tests can move time; the domain never calls datetime.now()."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Date, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """Real time, as an aware UTC instant."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stands still until moved (for tests and simulations)."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


def local_date(instant: dt.datetime, timezone: str) -> dt.date:
    """The date an instant falls on in `timezone` (deadlines are kept as such dates)."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def local_today(clock: Clock, timezone: str) -> dt.date:
    """Today's date where the deadlines are kept (GUANHU_TIMEZONE)."""
    return local_date(clock.now(), timezone)


def local_time(instant: dt.datetime, timezone: str) -> str:
    """An instant as people read it where they are: 2026-12-10 08:30."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


class LocalDay(FunctionElement):
    """The date, in a time zone, that a stored instant falls on, computed by the database (so a
    count such as "answered by the due date" stays one aggregate query). Build it with `local_day`."""

    type = Date()
    inherit_cache = True
    name = "local_day"


def local_day(instant: Any, timezone: str, at: dt.datetime) -> LocalDay:
    """`instant`'s local date in `timezone`. PostgreSQL converts by the zone's rules; SQLite, which
    knows no zones, shifts by the zone's offset at `at` (exact for zones without daylight saving,
    such as Asia/Shanghai)."""
    offset = ZoneInfo(timezone).utcoffset(at.replace(tzinfo=None)) or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    return LocalDay(instant, literal(timezone), literal(f"{minutes:+d} minutes"))


@compiles(LocalDay, "postgresql")
def _local_day_postgresql(element: LocalDay, compiler: Any, **kw: Any) -> str:
    instant, zone, _ = list(element.clauses)
    return f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(instant, **kw)}) AS DATE)"


@compiles(LocalDay, "sqlite")
def _local_day_sqlite(element: LocalDay, compiler: Any, **kw: Any) -> str:
    instant, _, shift = list(element.clauses)
    return f"date({compiler.process(instant, **kw)}, {compiler.process(shift, **kw)})"
