"""The database integration: one session per request, committed once when the response is good."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_sessionmaker


class Database:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessionmaker: sessionmaker[Session] = make_sessionmaker(engine)


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
