"""What each scheduled job did last: when it ran, whether it failed, when it runs next."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime

ERROR_LENGTH = 300
SCHEDULER_LEASE = "scheduler"  # the lease the one scheduler process holds

# The scheduled jobs by name, in the order they run each tick, with the names staff read.
JOB_LABELS = {
    "calendars": "生成年度任务",
    "sources": "同步办理时限",  # before the pushes that read them
    "urgent": "紧急事项推送",
    "digests": "每日提醒推送",
    "retries": "重发推送",
    "claims": "清理消息去重记录",
}


class JobState(Base):
    __tablename__ = "job_states"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row; 0 after a success
    last_result: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))


def job_state(session: Session, name: str) -> JobState:
    state = session.get(JobState, name, populate_existing=True)
    if state is None:
        state = JobState(name=name, runs=0, failures=0)
        session.add(state)
    return state


def record_run(
    session: Session,
    name: str,
    *,
    holder: str,
    started: dt.datetime,
    finished: dt.datetime,
    next_run: dt.datetime | None,
    result: str | None = None,
    error: str | None = None,
) -> JobState:
    """Note one run of job `name`: a success when `error` is None."""
    state = job_state(session, name)
    state.holder = holder
    state.last_started_at, state.last_finished_at = started, finished
    state.next_run_at = next_run
    state.runs = (state.runs or 0) + 1
    if error is None:
        state.last_ok_at, state.failures = finished, 0
        state.last_result = (result or "")[:ERROR_LENGTH]
    else:
        state.failures = (state.failures or 0) + 1
        state.last_error = error[:ERROR_LENGTH]
    session.flush()
    return state


def job_states(session: Session) -> list[JobState]:
    return list(session.scalars(select(JobState).order_by(JobState.name)))
