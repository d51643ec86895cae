"""Who holds the scheduler's lease, and the state of each job."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.scheduling.entities import JobState, Lease, ParkedJob


def current_lease(session: Session, name: str) -> Lease | None:
    return session.get(Lease, name, populate_existing=True)


def job_states(session: Session) -> list[JobState]:
    return list(session.scalars(select(JobState).order_by(JobState.name)))


def parked_jobs(session: Session, limit: int = 100) -> list[ParkedJob]:
    return list(session.scalars(select(ParkedJob).order_by(ParkedJob.parked_at.desc()).limit(limit)))
