"""The benches' PostgreSQL databases are created on first use, so a fresh machine needs no setup."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text


def ensure_database(url: str) -> str:
    """Create the PostgreSQL database `url` names if it does not exist yet; return `url`."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql":
        return url
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    return url
