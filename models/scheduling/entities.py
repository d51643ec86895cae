"""The scheduler's lease and what each scheduled job did last."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, instant


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[instant]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


ERROR_LENGTH = 300


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


class ParkedJob(Base):
    """Work after a WeChat reply that kept failing through every retry: kept for the back office."""

    __tablename__ = "parked_jobs"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # the job's key: one row per job
    job: Mapped[str] = mapped_column(String(120))
    openid: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(String(ERROR_LENGTH))
    parked_at: Mapped[instant]
