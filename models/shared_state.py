"""Counts and first values every worker sees, kept as rows when no Redis is configured
(`infra.shared_state` chooses): how many 绑定 guesses a code had this hour, which body a WeChat
nonce first came with. Each key lives for a window from its first use, then starts afresh.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime

KEY_LENGTH = 200
VALUE_LENGTH = 64


class SharedMark(Base):
    __tablename__ = "shared_marks"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(String(VALUE_LENGTH))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _upsert(session: Session, key: str, value: str | None, now: dt.datetime, window: dt.timedelta, amount: int = 1):
    """One statement, however many workers run it at once: the key counted `amount` more, or
    begun afresh (count `amount`, this value) when its window is over; returns the row as it is."""
    table = SharedMark.__table__
    expired = table.c.expires_at <= now
    insert = _INSERT[session.get_bind().dialect.name](table).values(
        key=key[:KEY_LENGTH], count=amount, value=value, expires_at=now + window
    )
    return session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, amount), else_=table.c.count + amount),
                "value": case((expired, insert.excluded.value), else_=table.c.value),
                "expires_at": case((expired, insert.excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count, table.c.value)
    ).one()


def count(session: Session, key: str, now: dt.datetime, window: dt.timedelta, amount: int = 1) -> int:
    """Count `amount` more uses of `key` in its window; returns the uses so far, these included."""
    return _upsert(session, key, None, now, window, amount).count


def remember(session: Session, key: str, value: str, now: dt.datetime, window: dt.timedelta) -> str:
    """Keep `value` under `key` for the window unless a value is kept already; returns the kept one."""
    return _upsert(session, key, value[:VALUE_LENGTH], now, window).value


def purge_marks(session: Session, now: dt.datetime) -> str:
    """Forget the marks whose window is over (scheduled)."""
    result = session.execute(delete(SharedMark).where(SharedMark.expires_at <= now))
    return f"删除 {result.rowcount} 条过期计数"


def current(session: Session, key: str, now: dt.datetime) -> SharedMark | None:
    """`key`'s mark while its window lasts, else None."""
    return session.scalar(select(SharedMark).where(SharedMark.key == key[:KEY_LENGTH], SharedMark.expires_at > now))


def forget(session: Session, key: str, *, prefix: bool = False) -> int:
    """Forget `key`'s mark (or, with `prefix`, every mark whose key begins so); returns how many."""
    which = SharedMark.key.startswith(key, autoescape=True) if prefix else SharedMark.key == key
    return session.execute(delete(SharedMark).where(which)).rowcount
