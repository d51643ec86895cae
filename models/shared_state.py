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


def _upsert(session: Session, key: str, value: str | None, now: dt.datetime, window: dt.timedelta):
    """One statement, however many workers run it at once: the key counted once more, or begun
    afresh (count 1, this value) when its window is over; returns the row as it now is."""
    table = SharedMark.__table__
    expired = table.c.expires_at <= now
    insert = _INSERT[session.get_bind().dialect.name](table).values(
        key=key[:KEY_LENGTH], count=1, value=value, expires_at=now + window
    )
    return session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, 1), else_=table.c.count + 1),
                "value": case((expired, insert.excluded.value), else_=table.c.value),
                "expires_at": case((expired, insert.excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count, table.c.value)
    ).one()


def count(session: Session, key: str, now: dt.datetime, window: dt.timedelta) -> int:
    """Count one more use of `key` in its window; returns the uses so far, this one included."""
    return _upsert(session, key, None, now, window).count


def remember(session: Session, key: str, value: str, now: dt.datetime, window: dt.timedelta) -> str:
    """Keep `value` under `key` for the window unless a value is kept already; returns the kept one."""
    return _upsert(session, key, value[:VALUE_LENGTH], now, window).value


def purge_marks(session: Session, now: dt.datetime) -> str:
    """Forget the marks whose window is over (scheduled)."""
    result = session.execute(delete(SharedMark).where(SharedMark.expires_at <= now))
    return f"删除 {result.rowcount} 条过期计数"


def count_now(session: Session, key: str, now: dt.datetime) -> int:
    """The uses of `key` counted in its current window (0 when none)."""
    found = session.scalar(select(SharedMark.count).where(SharedMark.key == key, SharedMark.expires_at > now))
    return found or 0
