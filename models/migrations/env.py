"""Alembic environment: the URL comes from the caller (guanhu db upgrade, or the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from alembic import context

import models
from models.db import make_engine

config = context.config
target_metadata = models.Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with _foreign_keys_off(connection) if sqlite else nullcontext():
        with context.begin_transaction():
            context.run_migrations()


@contextmanager
def _foreign_keys_off(connection) -> Iterator[None]:
    """SQLite alters a table by copying it and dropping the old one; with foreign keys on, the drop
    deletes every row that refers to it ON DELETE CASCADE (a complaint's steps …). So they are off
    while migrating (the pragma works only outside a transaction) and checked before they are on
    again."""
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


run_migrations_online()
