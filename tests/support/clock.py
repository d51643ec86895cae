"""The tests' time: a fixed instant, and mornings to move the clock to."""

from __future__ import annotations

import datetime as dt

from models.clock import FixedClock

TEST_NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def morning(clock: FixedClock, day: dt.date, hour: int = 0, minute: int = 30) -> None:
    """Set the clock to `day` at 08:30 Beijing time (00:30 UTC) unless told otherwise."""
    clock.at = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
