"""Shared storage for WeChat credentials (access token, jsapi ticket) and short leases.

Many workers and the scheduler read one token from here and refresh it one at a time, under a
lease, so they never invalidate each other's tokens.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.wechat.entities import StoredCredential


def read_credential(session: Session, key: str, now: dt.datetime) -> str | None:
    """The value under `key`, or None when absent or expired."""
    row = session.get(StoredCredential, key, populate_existing=True)
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row.value


def write_credential(session: Session, key: str, value: str, expires_at: dt.datetime | None) -> None:
    """Insert or replace `key` in one statement (safe when two writers race)."""
    insert = _insert_for(session)
    statement = insert(StoredCredential).values(key=key, value=value, expires_at=expires_at)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[StoredCredential.key],
            set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
        )
    )


def delete_credential(session: Session, key: str) -> None:
    session.execute(delete(StoredCredential).where(StoredCredential.key == key))


def take_lease(session: Session, name: str, holder: str, now: dt.datetime, seconds: float) -> bool:
    """Claim the lease `name` for `holder` unless someone else holds an unexpired one."""
    insert = _insert_for(session)
    until = now + dt.timedelta(seconds=seconds)
    statement = insert(StoredCredential).values(key=f"lease:{name}", value=holder, expires_at=until)
    taken = session.scalar(
        statement.on_conflict_do_update(
            index_elements=[StoredCredential.key],
            set_={"value": holder, "expires_at": until},
            where=or_(StoredCredential.expires_at <= now, StoredCredential.value == holder),
        ).returning(StoredCredential.key)
    )  # a row comes back only if we inserted or took it over
    return taken is not None


def drop_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease back, if `holder` still holds it (one statement: no read before the write,
    which SQLite would refuse when another writer committed in between)."""
    session.execute(
        delete(StoredCredential).where(StoredCredential.key == f"lease:{name}", StoredCredential.value == holder)
    )


def _insert_for(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
