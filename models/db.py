"""Engines and sessions, for SQLite (embedded) and PostgreSQL (production) alike."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs) -> Engine:  # noqa: ANN003
    """An engine for `url`; on SQLite, with real transactions, foreign keys and WAL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _make_sqlite_transactional(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# pysqlite's own AUTOCOMMIT isolation level would undo the recipe below when the connection goes
# back to the pool; this option only skips our BEGIN, and SQLite commits each statement itself.
SQLITE_AUTOCOMMIT = "guanhu_sqlite_autocommit"


def autocommit(connection: Connection) -> None:
    """Let each statement on `connection` commit on its own: no BEGIN, no COMMIT."""
    if connection.dialect.name == "sqlite":
        connection.execution_options(**{SQLITE_AUTOCOMMIT: True})
    else:
        connection.execution_options(isolation_level="AUTOCOMMIT")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite opens transactions late and breaks SAVEPOINT; take over BEGIN ourselves
    # (SQLAlchemy's documented recipe) and switch on what SQLite leaves off by default.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        if not connection.get_execution_options().get(SQLITE_AUTOCOMMIT):
            # Straight to the driver: through exec_driver_sql, BEGIN cost more than the INSERT after it.
            connection.connection.driver_connection.execute("BEGIN")
