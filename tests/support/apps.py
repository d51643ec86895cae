"""Apps as the tests run them: bound to a test's transaction, with a clock the test moves."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from models.clock import FixedClock
from web import create_app


def bound_sessionmaker(connection: Connection) -> sessionmaker[Session]:
    """Sessions inside `connection`'s transaction: each commit only releases a savepoint."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def bound_app(database_url: str, connection: Connection, clock: FixedClock, media: Path, **overrides) -> Flask:
    """An app whose every session and statement runs in `connection`'s transaction."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "CLOCK": clock,
        "MEDIA_ROOT": str(media),
        "PUBLIC_BASE_URL": "http://guanhu.test",
        "RATELIMIT_ENABLED": False,
        "PUBLIC_PAGE_CACHE_SECONDS": 0,
    }
    app = create_app({**config, **overrides})
    app.extensions["db"].bind_to(connection, bound_sessionmaker(connection))
    return app


def close_test_app(app: Flask) -> None:
    app.extensions["db"].engine.dispose()
    client = app.extensions.get("wechat_client")
    if client is not None:  # an open socket is a warning, so an error
        client._http.close()
