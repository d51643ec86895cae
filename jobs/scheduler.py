"""The scheduler: a few tick jobs that read what is due from the database, under one lease.

APScheduler only wakes the jobs up; deadlines are data. Run it as its own process with
`guanhu scheduler` (one per deployment). A second scheduler started by mistake does not get the
lease and stays idle; if the holder dies, its lease expires and the other one takes over.
`make run` starts it inside the development server (GUANHU_SCHEDULER_IN_PROCESS=1); nothing
else does: not create_app, not gunicorn workers.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.orm import Session

from infra.clock import clock as app_clock
from infra.database import database, unit_of_work
from jobs import notices, reminders
from models.errors import DomainError
from models.scheduling.jobs import JOB_LABELS, SCHEDULER_LEASE
from models.scheduling.operations import hold_lease, record_run, release_lease
from models.shared_state import purge_marks
from models.wechat.claims import purge_claims

log = logging.getLogger("guanhu.jobs")

LEASE_SECONDS = 300  # several ticks: a live holder always renews it in time
MISFIRE_GRACE_SECONDS = 6 * 3600  # a late run still runs (the jobs catch up from the database)
IN_PROCESS_FLAG = "GUANHU_SCHEDULER_IN_PROCESS"
# What the back office shows of a failure that is not the domain's (the stack goes to the log).
UNEXPECTED_FAILURE = "运行出错，详情已记入日志，下次运行时会再试。"


@dataclass(frozen=True)
class Job:
    name: str  # a key of JOB_LABELS
    run: Callable[[Session, dt.datetime], str]
    every_seconds: int

    @property
    def label(self) -> str:
        return JOB_LABELS[self.name]


JOBS = (
    Job("calendars", reminders.ensure_calendars, 3600),
    Job("notices", notices.decide_notices, 300),
    Job("sources", reminders.sync_sources, 60),
    Job("urgent", reminders.urgent_pushes, 60),
    Job("digests", reminders.morning_digests, 300),
    Job("retries", reminders.retry_pushes, 60),
    Job("claims", purge_claims, 3600),
    Job("marks", purge_marks, 3600),
)


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Runner:
    """Runs one tick of a job for `app`, if this process holds the scheduler lease."""

    def __init__(self, app: Flask, holder: str | None = None, scheduler: BaseScheduler | None = None):
        self.app = app
        self.holder = holder or new_holder()
        self.scheduler = scheduler

    def tick(self, name: str) -> bool:
        """One run of job `name`; False (and nothing done) when another process holds the lease."""
        job = next(job for job in JOBS if job.name == name)
        with self.app.app_context():  # its teardown closes the unit of work
            clock, work = app_clock(), unit_of_work()
            started = clock.now()
            if not hold_lease(work.session, SCHEDULER_LEASE, self.holder, started, LEASE_SECONDS):
                work.rollback()
                return False
            work.commit()
            result, error = None, None
            try:
                result = job.run(work.session, started)
                work.commit()
            except Exception as failure:  # recorded, shown in the back office, retried next tick
                work.rollback()
                log.exception("job %s failed", name)
                error = failure.message if isinstance(failure, DomainError) else UNEXPECTED_FAILURE
            record_run(
                work.session,
                name,
                holder=self.holder,
                started=started,
                finished=clock.now(),
                next_run=self._next_run(name),
                result=result,
                error=error,
            )
            work.commit()
            return True

    def tick_all(self) -> None:
        for job in JOBS:
            self.tick(job.name)

    def release(self) -> None:
        with self.app.app_context():
            with database().sessionmaker.begin() as session:
                release_lease(session, SCHEDULER_LEASE, self.holder)

    def _next_run(self, name: str) -> dt.datetime | None:
        scheduled = self.scheduler.get_job(name) if self.scheduler else None
        return scheduled.next_run_time if scheduled else None


def build_scheduler(app: Flask, *, blocking: bool) -> tuple[BaseScheduler, Runner]:
    """A scheduler with the tick jobs (not started) and the runner they call."""
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    # One job at a time: they share the lease and the database, and run in the order of JOBS.
    scheduler = scheduler_class(timezone=dt.UTC, executors={"default": ThreadPoolExecutor(max_workers=1)})
    runner = Runner(app, scheduler=scheduler)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    for job in JOBS:
        scheduler.add_job(
            runner.tick,
            "interval",
            args=[job.name],
            id=job.name,
            name=job.label,
            seconds=job.every_seconds,
            next_run_time=start,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
    return scheduler, runner


def start_in_process(app: Flask) -> BackgroundScheduler:
    """The development server's scheduler, in a background thread (for `make run`)."""
    scheduler, runner = build_scheduler(app, blocking=False)
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)
        runner.release()

    atexit.register(stop)
    log.info("scheduler started inside the development server (%s)", runner.holder)
    return scheduler
