"""The database integration: one session per request, committed once when the response is good."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from models.db import DriverStatement, first_committed, make_engine, make_sessionmaker


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


def database() -> Database:
    return current_app.extensions["db"]


def db_session() -> Session:
    """This request's (or CLI command's) session."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def _commit_if_good(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is not None:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
