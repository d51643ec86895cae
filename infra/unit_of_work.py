"""A unit of work: one database session, committed or rolled back as a whole, and the work to do
once it has committed (pushes, fetching photos, saving records).

Every door works alike: a request, a WeChat message, a CLI command or a job has one; operations
flush into its session and never commit; the door commits once, and only then does the queued
work run, so nothing is pushed about a change that was rolled back. Where the queued work runs
is the door's choice: right after the commit by default (a page, a command), in the background
for WeChat messages (their reply must leave within 5 seconds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("guanhu")

# job(session, *args): its arguments are ids and plain values, so that it can run in any session.
Job = Callable[..., None]
Runner = Callable[[Job, tuple[Any, ...]], object]


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session], run: Runner | None = None):
        self._sessions = sessions
        self._run = run or self.run_here
        self._queued: list[tuple[Job, tuple[Any, ...]]] = []

    @cached_property
    def session(self) -> Session:
        """The unit's session, opened when first needed (many WeChat replies need none)."""
        return self._sessions()

    @property
    def opened(self) -> bool:
        return "session" in self.__dict__

    @property
    def queued(self) -> list[tuple[Job, tuple[Any, ...]]]:
        """The work waiting for the commit."""
        return list(self._queued)

    def after_commit(self, job: Job, *args: Any) -> None:
        """Run `job(session, *args)` once this unit has committed; never if it is rolled back."""
        self._queued.append((job, args))

    def commit(self) -> None:
        """Commit, then hand the queued work to the door's runner."""
        if self.opened:
            self.session.commit()
        queued, self._queued = self._queued, []
        for job, args in queued:
            self._run(job, args)

    def rollback(self) -> None:
        """Undo what was not committed and drop the work queued for after the commit."""
        self._queued.clear()
        if self.opened:
            self.session.rollback()

    def close(self) -> None:
        self._queued.clear()
        if self.opened:
            session = self.__dict__.pop("session")
            session.rollback()
            session.close()

    def run_here(self, job: Job, args: tuple[Any, ...]) -> None:
        """Run `job` in this unit's session and commit its work. A failure is logged and rolled
        back without undoing what the unit committed before it."""
        try:
            job(self.session, *args)
            self.session.commit()
        except Exception:  # after the commit nobody else can handle it: log it, keep the change
            self.session.rollback()
            log.exception("work after the commit failed: %s", job.__name__)
