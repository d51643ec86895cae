"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import make_url, text

import models
from models.db import make_engine
from models.migrate import upgrade


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"{url.database}_migrations"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)
        postgresql = connection.dialect.name == "postgresql"
        claims_table = connection.scalar(
            text(
                "SELECT relpersistence FROM pg_class WHERE relname = 'wechat_inbound_messages'"
                if postgresql
                else "SELECT sql FROM sqlite_master WHERE name = 'wechat_inbound_messages'"
            )
        )
    engine.dispose()
    assert differences == []
    # What autogenerate does not compare: on PostgreSQL the claims skip the write-ahead log,
    # on SQLite the claims table is its key's B-tree alone.
    assert claims_table == "u" if postgresql else claims_table.rstrip().endswith("WITHOUT ROWID")


def test_upgrade_is_repeatable(empty_database_url):
    upgrade(empty_database_url)
    upgrade(empty_database_url)
