"""The database integration: the engine, and one unit of work per request, message, command or job."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from infra.unit_of_work import Job, Runner, UnitOfWork
from models.db import DriverStatement, first_committed, make_engine, make_sessionmaker

# The database cannot answer now (down, unreachable, locked past the wait, out of connections):
# not a bug of ours; the doors say 系统繁忙 (503) with one log line, not 500 and a stack.
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


class Database:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessionmaker: sessionmaker[Session] = make_sessionmaker(engine)
        self._outer: Connection | None = None

    def bind_to(self, connection: Connection, sessions: sessionmaker[Session]) -> None:
        """Run every session (made by `sessions`) and statement inside `connection`'s transaction
        (tests)."""
        self._outer, self.sessionmaker = connection, sessions

    def first_alone(self, statement: DriverStatement, params: dict[str, Any]) -> Any:
        """Run `statement`, committed on its own at once, and return its first row (the WeChat
        claim). Autocommit spares BEGIN and COMMIT (round trips on PostgreSQL) and holds SQLite's
        write lock only for the statement. Tests: inside their transaction, in a savepoint."""
        if self._outer is not None:
            with self._outer.begin_nested():
                return statement.first(self._outer, params)
        return first_committed(self.engine, statement, params)


def init_app(app: Flask) -> None:
    app.extensions["db"] = Database(make_engine(app.config["DATABASE_URL"]))
    app.after_request(_commit_if_good)
    app.teardown_appcontext(_close)


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["db"]


def unit_of_work() -> UnitOfWork:
    """This request's (or command's) unit of work, made on first use and closed at teardown."""
    if "unit_of_work" not in g:
        g.unit_of_work = UnitOfWork(database().sessionmaker)
    return g.unit_of_work


def begin_unit_of_work(run: Runner) -> UnitOfWork:
    """A unit of work for this app context whose queued work goes to `run` (the WeChat door's
    job queue) instead of running right after the commit."""
    g.unit_of_work = UnitOfWork(database().sessionmaker, run)
    return g.unit_of_work


def db_session() -> Session:
    """The session of this request's (or command's) unit of work."""
    return unit_of_work().session


def after_commit(job: Job, *args: Any) -> None:
    """Run `job(session, *args)` once this request's (or command's) work has committed."""
    unit_of_work().after_commit(job, *args)


def _commit_if_good(response: Response) -> Response:
    """A web request's single commit: when the response is good; else everything is undone."""
    unit: UnitOfWork | None = g.get("unit_of_work")
    if unit is not None:
        if response.status_code < 400:
            unit.commit()
        else:
            unit.rollback()
    return response


def _close(_exc: BaseException | None) -> None:
    unit: UnitOfWork | None = g.pop("unit_of_work", None)
    if unit is not None:
        unit.close()
