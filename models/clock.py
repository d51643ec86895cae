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


def local_today(clock: Clock, timezone: str) -> dt.date:
    """Today's date where the deadlines are kept (GUANHU_TIMEZONE)."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()
