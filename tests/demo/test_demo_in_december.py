"""The demo county loaded in early December: the year's tasks done as they fell due, the villages'
self-evaluation (due Dec 10) coming up."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from demo import county as demo
from demo.activity import finish_calendar
from models.deadlines.entities import Deadline
from models.storage import LocalStorage

DECEMBER = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Beijing


def local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_in_early_december_the_years_tasks_are_done_and_the_self_evaluation_is_coming_up(session, tmp_path):
    steps = (demo.add_regions, demo.add_staff, finish_calendar)  # the staff and their calendar alone
    demo.load_demo(session, LocalStorage(tmp_path), DECEMBER, steps=steps)
    tasks = session.scalars(select(Deadline).where(Deadline.year == 2026)).all()
    past = [d for d in tasks if d.due_on < local_date(DECEMBER)]
    assert past and all(d.done_at and d.done_by and d.evidence["note"] for d in past)
    assert all(d.done_at < DECEMBER for d in tasks if d.done_at)
    assert all(local_date(d.done_at) <= d.due_on + dt.timedelta(days=6) for d in past)
    assert 0 < sum(local_date(d.done_at) > d.due_on for d in past) < len(past) / 4  # now and then late

    self_evaluations = [d for d in tasks if d.kind_code == "village_self_evaluation"]
    done_early = [d for d in self_evaluations if d.done_at]
    assert len(self_evaluations) == 12 and 0 < len(done_early) <= 6  # due Dec 10: a few villages are done
    still_open = {d.kind_code for d in tasks if d.done_at is None}
    assert still_open == {"village_self_evaluation", "town_review", "town_rating"}
