"""Counts and first values every worker sees, kept as rows when no Redis is configured
(`infra.shared_state` chooses): how many 绑定 guesses a code had this hour, which body a WeChat
nonce first came with, rate limits on PostgreSQL. Each key lives for a window from its first use,
then starts afresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, String, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime
from models.db import DriverStatement

KEY_LENGTH = 200
VALUE_LENGTH = 64


class SharedMark(Base):
    __tablename__ = "shared_marks"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(String(VALUE_LENGTH))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def _mark_statement(insert):
    table = SharedMark.__table__
    expired = table.c.expires_at <= bindparam("now", type_=UTCDateTime)
    values = insert(table).values(
        key=bindparam("key"),
        count=bindparam("amount"),
        value=bindparam("value"),
        expires_at=bindparam("expires_at", type_=UTCDateTime),
    )
    return values.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": case((expired, values.excluded.count), else_=table.c.count + values.excluded.count),
            "value": case((expired, values.excluded.value), else_=table.c.value),
            "expires_at": case((expired, values.excluded.expires_at), else_=table.c.expires_at),
        },
    ).returning(table.c.count, table.c.value)


# The key counted `amount` more, or begun afresh (count `amount`, this value) when its window is
# over; returns (count, value) as they now are. One statement, however many workers run it at
# once; built once and run on the driver, committed on its own (a WeChat nonce is one a message).
MARK = DriverStatement({"postgresql": _mark_statement(postgresql.insert), "sqlite": _mark_statement(sqlite.insert)})


def mark_params(
    key: str, now: dt.datetime, window: dt.timedelta, *, value: str | None = None, amount: int = 1
) -> dict[str, Any]:
    """MARK's parameters: count `key` (by `amount`), or keep `value` under it, for `window`."""
    return {
        "key": key[:KEY_LENGTH],
        "amount": amount,
        "value": None if value is None else value[:VALUE_LENGTH],
        "expires_at": now + window,
        "now": now,
    }


def current(session: Session, key: str, now: dt.datetime) -> SharedMark | None:
    """`key`'s mark while its window lasts, else None."""
    return session.scalar(select(SharedMark).where(SharedMark.key == key[:KEY_LENGTH], SharedMark.expires_at > now))


def forget(session: Session, key: str, *, prefix: bool = False) -> int:
    """Forget `key`'s mark (or, with `prefix`, every mark whose key begins so); returns how many."""
    which = SharedMark.key.startswith(key, autoescape=True) if prefix else SharedMark.key == key
    return session.execute(delete(SharedMark).where(which)).rowcount


def purge_marks(session: Session, now: dt.datetime) -> str:
    """Forget the marks whose window is over (scheduled)."""
    result = session.execute(delete(SharedMark).where(SharedMark.expires_at <= now))
    return f"删除 {result.rowcount} 条过期计数"
