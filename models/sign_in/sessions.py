"""Staff sessions kept on the server, so that signing out, a new password or a deactivated account
ends them wherever the cookie was copied to.

The browser's cookie holds a random session id; the server keeps only its hash (a leaked table or
Redis dump signs nobody in), with whose session it is, how it was made (password or WeChat) and
when it ends. Here they are rows of the database; infra.sign_in keeps them in Redis when it is
configured, with the same rules (`SessionRecord.valid_for`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant
from models.people import User


class SessionMethod(LabelledEnum):
    PASSWORD = ("password", "密码登录")
    WECHAT = ("wechat", "微信登录")


@dataclass(frozen=True)
class SessionRecord:
    user_id: int
    method: SessionMethod
    openid: str | None  # the WeChat that made it (WeChat sessions only)
    expires_at: dt.datetime

    def valid_for(self, user: User, now: dt.datetime) -> bool:
        """Whether the session still signs `user` in: not expired, the account active, and a
        session made by WeChat only while that WeChat is still bound to the account."""
        if now >= self.expires_at or not user.active or user.id != self.user_id:
            return False
        return self.method is SessionMethod.PASSWORD or user.wechat_openid == self.openid


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[SessionMethod] = mapped_column(enum_column(SessionMethod))
    openid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[instant]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # Loaded in the same SELECT: the account the request then asks for is already in the session,
    # so a staff request's session check costs one query, as the lone account lookup did before.
    user: Mapped[User] = relationship(lazy="joined")

    def record(self) -> SessionRecord:
        return SessionRecord(self.user_id, self.method, self.openid, self.expires_at)


def new_session_id() -> str:
    """A session id nobody can guess (256 random bits)."""
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(session: Session, record: SessionRecord, now: dt.datetime) -> str:
    """Keep a new session for `record`; returns its id. The user's expired sessions go on the way."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == record.user_id, StaffSession.expires_at <= now))
    session_id = new_session_id()
    session.add(
        StaffSession(
            id_hash=session_hash(session_id),
            user_id=record.user_id,
            method=record.method,
            openid=record.openid,
            created_at=now,
            expires_at=record.expires_at,
        )
    )
    session.flush()
    return session_id


def load_session(session: Session, session_id: str) -> tuple[SessionRecord, User] | None:
    """The session kept under `session_id` and its account, in one query."""
    kept = session.get(StaffSession, session_hash(session_id))
    return (kept.record(), kept.user) if kept else None


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.id_hash == session_hash(session_id)))


def end_sessions_of(session: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of the user, but the one with id `keep` (the person's own, when given)."""
    ending = delete(StaffSession).where(StaffSession.user_id == user_id)
    if keep is not None:
        ending = ending.where(StaffSession.id_hash != session_hash(keep))
    session.execute(ending)


def sessions_of(session: Session, user_id: int) -> list[StaffSession]:
    return list(session.scalars(select(StaffSession).where(StaffSession.user_id == user_id)))
