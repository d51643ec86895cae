"""Leases (one holder at a time for the scheduler, renewed while it works) and recording each job's
runs.

A second scheduler started by mistake fails to take the lease and stays idle; if the holder dies,
its lease expires and another process takes over.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.scheduling.entities import ERROR_LENGTH, JobState, Lease, ParkedJob


def hold_lease(session: Session, name: str, holder: str, now: dt.datetime, seconds: float) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's is unexpired.

    One conditional UPDATE (or one INSERT): atomic on SQLite and PostgreSQL alike."""
    until = now + dt.timedelta(seconds=seconds)
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount == 1:
        return True
    if session.scalar(select(Lease.name).where(Lease.name == name)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=until))
    except IntegrityError:  # another process inserted it a moment ago
        return False
    return True


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease back (on a clean shutdown), if `holder` still holds it."""
    lease = session.get(Lease, name, populate_existing=True)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
        session.flush()


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


def park_job(session: Session, key: str, job: str, openid: str | None, error: str, now: dt.datetime) -> bool:
    """Keep a job that failed every retry; False when it was parked already (told once)."""
    if session.get(ParkedJob, key) is not None:
        return False
    session.add(ParkedJob(key=key, job=job, openid=openid, error=error[:ERROR_LENGTH], parked_at=now))
    session.flush()
    return True
