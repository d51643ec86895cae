"""Leases: one holder at a time for a named job (e.g. the scheduler), renewed while it works.

A second scheduler started by mistake fails to take the lease and stays idle; if the holder dies,
its lease expires and another process takes over.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, instant


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[instant]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def hold_lease(session: Session, name: str, holder: str, now: dt.datetime, seconds: float) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's is unexpired.

    One conditional UPDATE (or one INSERT): atomic on SQLite and PostgreSQL alike."""
    until = now + dt.timedelta(seconds=seconds)
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount == 1:
        return True
    if session.scalar(select(Lease.name).where(Lease.name == name)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=until))
    except IntegrityError:  # another process inserted it a moment ago
        return False
    return True


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease back (on a clean shutdown), if `holder` still holds it."""
    lease = session.get(Lease, name, populate_existing=True)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
        session.flush()


def current_lease(session: Session, name: str) -> Lease | None:
    return session.get(Lease, name, populate_existing=True)
