"""The fictional demo county 示范区, outside the domain: loaded by `guanhu demo load` (make run).

`county.load_demo` runs the loading steps of `county.STEPS` in order. A step is a function
`(session, demo, rng)` that builds on what the steps before it made, as recorded on `Demo`, and
makes everything through the domain's own operations. A new part of the demo is a module of this
package with one such step, added to `STEPS`; each step draws from its own seeded random numbers,
so adding one changes nothing the others make.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.people import User
from models.regions import Region
from models.storage import MediaStorage

TIMEZONE = "Asia/Shanghai"


CHINA = ZoneInfo(TIMEZONE)


PASSWORD = "guanhu-demo"  # noqa: S105  (published with the demo logins)


WORKING_HOURS = (dt.time(8, 30), dt.time(17, 30))


EVENING_HOURS = (dt.time(19, 0), dt.time(21, 30))


@dataclass
class Demo:
    """The county being loaded: the moment it is loaded at, where its photos go, and what each
    step made for the steps after it."""

    now: dt.datetime
    storage: MediaStorage
    district: Region
    towns: dict[str, Region] = field(default_factory=dict)
    villages: dict[str, Region] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by phone
    assets: list[Asset] = field(default_factory=list)
    records: int = 0
    complaints: int = 0

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(CHINA).date()

    def moment(
        self, rng: random.Random, days_ago: int, *, evening_share: float = 0.0, weekdays_only: bool = False
    ) -> dt.datetime:
        """A moment (UTC) on the local day `days_ago` days before today, within working hours or,
        now and then, in the evening; for office work, a weekend day becomes the Friday before.
        Never after `now`: hours yet to come today fall the day before."""
        day = self.today - dt.timedelta(days=days_ago)
        if weekdays_only and day.weekday() >= 5:
            day -= dt.timedelta(days=day.weekday() - 4)
        start, end = EVENING_HOURS if rng.random() < evening_share else WORKING_HOURS
        first = dt.datetime.combine(day, start, CHINA)
        last = min(dt.datetime.combine(day, end, CHINA), self.now - dt.timedelta(minutes=1))
        if last < first:  # those hours are yet to come today: the day before
            return self.moment(rng, days_ago + 1, evening_share=evening_share, weekdays_only=weekdays_only)
        seconds = (last - first) // dt.timedelta(seconds=1)
        return (first + dt.timedelta(seconds=rng.randint(0, seconds))).astimezone(dt.UTC)

    def days_since(self, instant: dt.datetime) -> int:
        """Whole local days from `instant` to today."""
        return (self.today - instant.astimezone(CHINA).date()).days


Step = Callable[[Session, Demo, random.Random], None]
