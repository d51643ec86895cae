"""Limits on failed sign-ins: per account with a backoff that doubles and caps, and per address.

An account that keeps failing is locked for 1, 2, 4, 8, then at most 15 minutes after each
failure past the first five; while locked, no password is even checked. The cap means a guesser
can hold an account back by a quarter of an hour at a time, never for good, and a bound WeChat
still signs its owner in meanwhile. An address is allowed many more failures (a carrier's NAT puts
a whole town behind one), so that one person's mistakes never lock out their neighbours, while a
guesser spraying many accounts from one place is still stopped.

Here the counts are rows of the database; infra.sign_in keeps them in Redis when it is configured.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, String, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime


@dataclass(frozen=True)
class Backoff:
    free: int  # failures before the first lock
    first_lock: dt.timedelta
    longest_lock: dt.timedelta
    forget_after: dt.timedelta  # a failure this long after the last one counts as the first

    def lock_after(self, failures: int) -> dt.timedelta:
        """How long the `failures`-th failure in a row locks."""
        if failures <= self.free:
            return dt.timedelta(0)
        return min(self.first_lock * 2 ** min(failures - self.free - 1, 20), self.longest_lock)


MINUTE = dt.timedelta(minutes=1)
ACCOUNT = Backoff(free=5, first_lock=MINUTE, longest_lock=15 * MINUTE, forget_after=dt.timedelta(days=1))
ADDRESS = Backoff(free=30, first_lock=MINUTE, longest_lock=15 * MINUTE, forget_after=dt.timedelta(hours=1))


def account_key(phone: str) -> str:
    return "account:" + phone.strip()[:20]


def address_key(address: str) -> str:
    return "address:" + address[:64]


class SignInFailures(Base):
    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def count_failure(session: Session, key: str, backoff: Backoff, now: dt.datetime) -> dt.datetime | None:
    """Count one more failure for `key`, in one statement however many count at once; returns
    until when the key is now locked, if it is."""
    table = SignInFailures.__table__
    insert = _INSERT[session.get_bind().dialect.name](table).values(key=key, failures=1, last_failure_at=now)
    fresh = table.c.last_failure_at < now - backoff.forget_after
    upsert = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((fresh, 1), else_=table.c.failures + 1),
            "locked_until": case((fresh, None), else_=table.c.locked_until),
            "last_failure_at": now,
        },
    ).returning(table.c.failures)
    failures = session.execute(upsert).scalar_one()
    lock = backoff.lock_after(failures)
    if not lock:
        return None
    until = now + lock
    session.get(SignInFailures, key, populate_existing=True).locked_until = until
    session.flush()
    return until


def locked_until(session: Session, keys: list[str], now: dt.datetime) -> dt.datetime | None:
    """Until when the most locked of `keys` stays locked; None when none is."""
    until = session.scalar(select(func.max(SignInFailures.locked_until)).where(SignInFailures.key.in_(keys)))
    return until if until is not None and until > now else None


def forget_failures(session: Session, key: str) -> None:
    session.execute(delete(SignInFailures).where(SignInFailures.key == key))
