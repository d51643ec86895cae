"""Engines and sessions, for SQLite (embedded) and PostgreSQL (production) alike."""

from __future__ import annotations

import contextlib
import select
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Executable, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite statement waits for another writer's lock before "database is locked": long
# for pages, commands and jobs; a door with a deadline (WeChat's 5 seconds) waits less.
SQLITE_BUSY_MS = 30_000
_busy_ms: ContextVar[int] = ContextVar("sqlite_busy_ms", default=SQLITE_BUSY_MS)


@contextlib.contextmanager
def waiting_at_most(milliseconds: int) -> Iterator[None]:
    """SQLite statements run inside wait at most this long for a lock (in this thread or task)."""
    token = _busy_ms.set(milliseconds)
    try:
        yield
    finally:
        _busy_ms.reset(token)


def _wait_as_wanted(dbapi_connection: Any, info: dict) -> None:
    """Set the connection's busy timeout to what the caller wants, when it differs (a PRAGMA)."""
    wanted = _busy_ms.get()
    if info.get("busy_ms", SQLITE_BUSY_MS) != wanted:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(wanted)}")
        info["busy_ms"] = wanted


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for `url`; on SQLite, with real transactions, foreign keys and WAL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _make_sqlite_transactional(engine)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _replace_hung_up_connections(engine)
    return engine


def _replace_hung_up_connections(engine: Engine) -> None:
    """On checkout, swap a pooled connection whose server has hung up (restart, failover, idle
    kill) for a new one: such a socket has the server's goodbye waiting to be read.

    Asking the socket costs no round trip, where `pool_pre_ping` pays one on every checkout —
    a third of the WeChat callback's database time (bench/README.md). What neither catches, a
    peer that vanished without a word, is for TCP keepalives to find.
    """

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, _record, _proxy):
        if _hung_up(dbapi_connection):
            raise DisconnectionError("the database server closed the connection")


def _hung_up(dbapi_connection: Any) -> bool:
    """Whether the server closed this connection (PostgreSQL; a SQLite file never hangs up)."""
    if not hasattr(dbapi_connection, "fileno"):
        return False
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def first_committed(engine: Engine, statement: DriverStatement, params: dict[str, Any]) -> Any:
    """`statement`'s first row (or None) for `params`, committed on its own at once.

    For the statement run on every WeChat message (the claim): on a pooled driver connection in
    autocommit, without a Core Connection around it, whose checkout, switch to autocommit and
    back and return cost more than SQLite's insert itself (bench/README.md).
    """
    dialect = engine.dialect
    try:
        pooled = engine.raw_connection()
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
    driver_connection = pooled.driver_connection
    switch = dialect.name != "sqlite"  # pysqlite here commits each statement unless we say BEGIN
    try:
        if switch:
            driver_connection.autocommit = True
        else:
            _wait_as_wanted(driver_connection, pooled.info)
        return statement.first_on(dialect, driver_connection, params)
    except DBAPIError as error:
        if error.connection_invalidated:
            pooled.invalidate(error)
        raise
    finally:
        if switch and pooled.is_valid:
            driver_connection.autocommit = False
        pooled.close()


class DriverStatement:
    """A statement compiled once per dialect and run on the driver's own cursor.

    For the one statement that runs on every WeChat message (the claim): SQLAlchemy's work per
    execution (execution context, result objects) cost more than SQLite's own (bench/README.md).
    Compiling, bind processing (our UTC datetimes) and error types stay SQLAlchemy's.
    """

    def __init__(self, statements: Mapping[str, Executable]):
        self._statements = statements  # by dialect name
        self._compiled: dict[str, tuple[str, list[str] | None, dict[str, Any]]] = {}

    def first(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The statement's first row (or None) for `params`, on `connection`'s transaction."""
        return self.first_on(connection.dialect, connection.connection.driver_connection, params)

    def first_on(self, dialect: Dialect, driver_connection: Any, params: dict[str, Any]) -> Any:
        """The same on a driver connection of `dialect`."""
        sql, order, processors = self._compiled.get(dialect.name) or self._compile(dialect)
        values = {name: processors[name](value) if processors.get(name) else value for name, value in params.items()}
        arguments = [values[name] for name in order] if order else values
        cursor = driver_connection.cursor()
        try:
            cursor.execute(sql, arguments)
            return cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                sql,
                arguments,
                error,
                dialect.loaded_dbapi.Error,
                dialect=dialect,
                connection_invalidated=dialect.is_disconnect(error, driver_connection, cursor),
            ) from error
        finally:
            cursor.close()

    def _compile(self, dialect) -> tuple[str, list[str] | None, dict[str, Any]]:
        compiled = self._statements[dialect.name].compile(dialect=dialect)
        processors = {name: bind.type.bind_processor(dialect) for name, bind in compiled.binds.items()}
        self._compiled[dialect.name] = (compiled.string, compiled.positiontup, processors)
        return self._compiled[dialect.name]


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite opens transactions late and breaks SAVEPOINT; take over BEGIN ourselves
    # (SQLAlchemy's documented recipe) and switch on what SQLite leaves off by default.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Copy the write-ahead log back every 4,000 pages (16 MB) instead of 1,000: a page
            # written many times is then copied once, and the fsyncs are fewer. Several workers
            # each claiming every WeChat message answered 8 % more messages (bench/README.md).
            cursor.execute("PRAGMA wal_autocheckpoint=4000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: through exec_driver_sql, BEGIN cost more than the INSERT after it.
        driver_connection = connection.connection.driver_connection
        _wait_as_wanted(driver_connection, connection.connection.info)
        driver_connection.execute("BEGIN")
