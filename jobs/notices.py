"""The notices job: decide the outcome of every notice whose period is over."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from jobs.reminders import local_now
from models.notices.operations import decide_ended_notices


def decide_notices(session: Session, now: dt.datetime) -> str:
    """Passed or upheld, for those whose objections are all resolved; the rest keep waiting."""
    decided = decide_ended_notices(session, local_now(now).date(), now)
    return f"确定公示结果{decided}项"
