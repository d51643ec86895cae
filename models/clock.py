"""The clock is injected so tests can move time; the domain never calls datetime.now()."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


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
