"""Work finished after the WeChat reply, through a durable job queue (huey).

The queue lives outside the process that answered WeChat: in Redis (GUANHU_QUEUE_URL=redis://…)
when several processes or hosts share it, else in a SQLite file of the instance folder. Workers
(`guanhu worker`, any number on any host, or a thread of the dev server) take jobs from it, so a
killed process loses nothing queued.

A job is `job(session, *args)` named by its import path, run in a fresh app context with its own
unit of work and committed when it returns. Jobs are idempotent (conditional updates, deliveries
keyed once), so running one twice is harmless: a job raising is retried after growing delays
(QUEUE_RETRY_DELAYS), and every run first schedules a watchdog a lease later, which runs the job
again unless that run ended (huey takes a job off the queue when it starts, so a worker killed
mid-job would otherwise lose it). A job that fails every retry is parked: kept in
`parked_jobs` for the back office, and its sender told once.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Task
from huey.utils import normalize_time
from sqlalchemy.orm import Session

from infra.clock import now as clock_now
from infra.database import UNAVAILABLE, database
from infra.metrics import QUEUE_JOB_FAILURES
from infra.unit_of_work import Job, UnitOfWork
from models.errors import DomainError
from models.scheduling.operations import park_job

log = logging.getLogger("guanhu")

IDLE_POLL_SECONDS = 0.2
PARKED_ERROR = "重试用完仍出错：{why}（详情已记入日志）。"
FAR_AHEAD = dt.timedelta(days=3650)

# tell(session, openid, key): the sender of a parked job is told (the WeChat door registers it).
Teller = Callable[[Session, str, str], None]


def job_name(job: Job) -> str:
    return f"{job.__module__}:{job.__qualname__}"


def _resolve(name: str) -> Job:
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def failure_text(error: Exception) -> str:
    """Why a job was parked as the back office reads it: Chinese, never an exception's name."""
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, UNAVAILABLE):
        return "数据库暂时不可用"
    return "程序出错"


class Background:
    def __init__(self, app: Flask):
        self.app = app
        self.lease = app.config["QUEUE_LEASE_SECONDS"]
        self.tell_parked: Teller | None = None
        self._lock = threading.Lock()
        self._huey: Huey | None = None
        self._thread_pid = 0

    @property
    def huey(self) -> Huey:
        """The queue, opened on first use (a command that queues nothing never makes its file)."""
        if self._huey is None:
            with self._lock:
                if self._huey is None:
                    self._huey = self._open()
        return self._huey

    def _open(self) -> Huey:
        huey = _make_huey(self.app)
        self._run_task = huey.task(name="guanhu.run_job")(self._run)
        self._watchdog = huey.task(name="guanhu.watchdog")(self._resume)
        return huey

    def submit(self, job: Job, args: tuple[Any, ...], key: str | None = None, openid: str | None = None) -> bool:
        """Queue `job(session, *args)` under `key` (its idempotency key: a WeChat message's)."""
        self._queue(job_name(job), args, key or uuid.uuid4().hex, openid)
        return True

    def _queue(self, name: str, args: tuple[Any, ...], key: str, openid: str | None, attempt: int = 0) -> None:
        if self._huey is None:
            self.huey  # noqa: B018  (opening the queue registers its tasks)
        delays = self.app.config["QUEUE_RETRY_DELAYS"]
        call = (name, args, key, openid, attempt)
        if attempt:
            self._later(self._run_task.s(*call), delays[attempt - 1])
        else:
            self._run_task(*call)

    def sender(self, key: str, openid: str | None) -> Callable[[Job, tuple[Any, ...]], bool]:
        """A unit of work's runner whose jobs are keyed after `key` (one message: job 1, 2, …)."""
        numbers = itertools.count(1)
        return lambda job, args: self.submit(job, args, f"{key}:{next(numbers)}", openid)

    def depth(self) -> int:
        return self.huey.pending_count()

    def start_worker_threads(self) -> None:
        """Consume the queue in QUEUE_WORKERS daemon threads of this process (the dev server, the
        embedded mode), started once per process."""
        if self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
        for number in range(self.app.config["QUEUE_WORKERS"]):
            threading.Thread(target=self._consume_forever, name=f"guanhu-worker-{number}", daemon=True).start()

    def wait(self, timeout: float = 10) -> None:
        """Run every queued job, its retries and watchdogs in the calling thread as if their time
        had come, until none is left: how tests run the queued work deterministically."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.work_once(normalize_time(delay=FAR_AHEAD, utc=True)):
            pass

    def work_once(self, at: dt.datetime | None = None) -> bool:
        """Queue the scheduled jobs due `at` (now), run one; False when there was nothing."""
        for task in self.huey.read_schedule(at):
            self.huey.enqueue(task)
        task = self.huey.dequeue()
        if task is None:
            return False
        self.huey.execute(task, at)
        return True

    def _consume_forever(self) -> None:
        while True:
            try:
                if not self.work_once():
                    time.sleep(IDLE_POLL_SECONDS)
            except Exception:  # the top of the worker thread: log it and go on
                log.exception("job queue worker")
                time.sleep(1)

    def _later(self, task: Task, seconds: float) -> None:
        """Put `task` straight into the schedule (huey's `.schedule` would queue it first, for a
        worker to move: twice the work of every job)."""
        task.eta = normalize_time(delay=seconds, utc=True)
        self.huey.add_schedule(task)

    def _run(self, name: str, args: tuple[Any, ...], key: str, openid: str | None, attempt: int) -> None:
        """Run one attempt; a failure queues the next one a delay later, or parks the job."""
        run_id = uuid.uuid4().hex
        self._later(self._watchdog.s(run_id, name, args, key, openid, attempt), self.lease)
        try:
            self.run_here(_resolve(name), args)
        except Exception as error:  # the top of a job: counted, logged, retried
            QUEUE_JOB_FAILURES.labels(name.rpartition(":")[2]).inc()
            if attempt < len(self.app.config["QUEUE_RETRY_DELAYS"]):
                log.warning("job %s (%s) failed, retry %d: %s", name, key, attempt + 1, error)
                self._queue(name, args, key, openid, attempt + 1)
            else:
                log.exception("job %s (%s) failed every retry, parked", name, key)
                self._park(key, name, openid, error)
        # not reached when the worker dies (or is stopped) within the job: its watchdog runs it again
        self.huey.put(f"ended:{run_id}", True)

    def _resume(
        self, run_id: str, name: str, args: tuple[Any, ...], key: str, openid: str | None, attempt: int
    ) -> None:
        if self.huey.get(f"ended:{run_id}") is None:
            log.warning("job %s (%s) did not end: run again", name, key)
            self._queue(name, args, key, openid, attempt)

    def run_here(self, job: Job, args: tuple[Any, ...]) -> None:
        """Run `job` now in this thread, in a unit of work of its own (no queue, no retry)."""
        with self.app.app_context():
            unit = UnitOfWork(database(self.app).sessionmaker)
            try:
                job(unit.session, *args)
                unit.commit()
            except Exception:
                unit.rollback()
                raise
            finally:
                unit.close()

    def _park(self, key: str, name: str, openid: str | None, error: Exception) -> None:
        with self.app.app_context():
            unit = UnitOfWork(database(self.app).sessionmaker)
            try:
                reason = PARKED_ERROR.format(why=failure_text(error))
                first = park_job(unit.session, key, name, openid, reason, clock_now())
                unit.commit()
                if first and openid and self.tell_parked is not None:
                    self.tell_parked(unit.session, openid, key)
            finally:
                unit.close()


def _make_huey(app: Flask) -> Huey:
    url = app.config["QUEUE_URL"] or ("memory://" if app.testing else f"sqlite:///{app.instance_path}/queue.sqlite3")
    name = app.config["QUEUE_NAME"]
    if url == "memory://":
        return MemoryHuey(name, results=False, utc=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False, utc=True)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False, utc=True)
    raise ValueError(f"GUANHU_QUEUE_URL: redis://…, sqlite:///path or memory://, not {url!r}")


def init_app(app: Flask) -> None:
    """The worker thread starts with the dev server (GUANHU_WORKER_IN_PROCESS=1, `make run`), or
    with the first request when the queue is the instance's SQLite file (the embedded mode)."""
    work = app.extensions["background"] = Background(app)
    in_process = app.config["WORKER_IN_PROCESS"]
    if in_process is None:
        in_process = not app.testing and not app.config["QUEUE_URL"]
    if in_process:
        app.before_request(work.start_worker_threads)


def background(app: Flask | None = None) -> Background:
    return (app or current_app).extensions["background"]
