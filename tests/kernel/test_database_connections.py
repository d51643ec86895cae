"""Pooled PostgreSQL connections: one the server hung up on is replaced at checkout, a healthy
one is reused without a round trip. PostgreSQL only (SQLite has no server to hang up): the
PostgreSQL of GUANHU_TEST_DATABASE_URL, else this machine's (CI has it in both runs)."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from models.db import DriverStatement, first_committed, make_engine

URL = os.environ.get("GUANHU_TEST_DATABASE_URL", "")
if not URL.startswith("postgresql"):
    URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pool():
    engine = make_engine(URL, pool_size=1, max_overflow=0)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        pytest.skip(f"PostgreSQL at {URL} not reachable: {error}")
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_the_server_hung_up_on_is_replaced_at_checkout(pool):
    first = backend_pid(pool)
    admin = create_engine(URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        for _ in range(100):  # the backend says goodbye and exits within milliseconds
            if not connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}):
                break
            time.sleep(0.02)
    admin.dispose()

    assert backend_pid(pool) not in (first, None)  # without the check: OperationalError here


def test_a_healthy_connection_is_reused(pool):
    assert backend_pid(pool) == backend_pid(pool)


def test_a_statement_committed_alone_leaves_its_connection_as_it_found_it(pool):
    own_pid = DriverStatement({"postgresql": select(func.pg_backend_pid())})
    assert first_committed(pool, own_pid, {}) == (backend_pid(pool),)  # the same pooled connection
    with pool.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False
