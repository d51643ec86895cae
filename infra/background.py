"""Work finished after the response: a small bounded thread pool per process.

Each job runs in a fresh app context with its own unit of work, committed when the job returns.
The pool is made on first use, so a process forked by gunicorn gets its own.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from flask import Flask, current_app

from infra.database import database
from infra.unit_of_work import Job, UnitOfWork

log = logging.getLogger("guanhu")


class Background:
    def __init__(self, app: Flask, workers: int, queue_limit: int):
        self.app = app
        self.workers = workers
        self.slots = threading.BoundedSemaphore(workers + queue_limit)
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0
        self._futures: set[Future] = set()

    def submit(self, job: Job, args: tuple[Any, ...]) -> bool:
        """Queue `job(session, *args)`; False (and a log line) when the queue is full."""
        if not self.slots.acquire(blocking=False):
            log.error("background queue full, dropped %s", job.__name__)
            return False
        future = self._pool().submit(self._run, job, args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)
        return True

    def wait(self, timeout: float = 10) -> None:
        """Wait until the jobs queued so far are done (tests, and shutting down cleanly)."""
        with self._lock:
            pending = set(self._futures)
        wait(pending, timeout=timeout)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="guanhu-bg")
                self._pid = os.getpid()
            return self._executor

    def _done(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)
        self.slots.release()

    def _run(self, job: Job, args: tuple[Any, ...]) -> None:
        with self.app.app_context():
            unit = UnitOfWork(database(self.app).sessionmaker)
            try:
                job(unit.session, *args)
                unit.commit()
            except Exception:  # the top of a worker thread: log it, nobody else will
                unit.rollback()
                log.exception("background job %s failed", job.__name__)
            finally:
                unit.close()


def init_app(app: Flask) -> None:
    app.extensions["background"] = Background(
        app, app.config["WECHAT_BACKGROUND_WORKERS"], app.config["WECHAT_BACKGROUND_QUEUE"]
    )


def background(app: Flask | None = None) -> Background:
    return (app or current_app).extensions["background"]
