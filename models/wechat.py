"""WeChat visitors, message claims (each inbound message handled once) and staff bind codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import (
    DDL,
    Boolean,
    ForeignKey,
    Integer,
    String,
    bindparam,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, lazyload, mapped_column

from models import audit
from models.base import Base, UTCDateTime, instant, intpk
from models.db import DriverStatement
from models.errors import DomainError
from models.people import User

BIND_CODE_DIGITS = 6
BIND_CODE_LIFETIME = dt.timedelta(minutes=10)
BIND_MAX_FAILURES = 5
BIND_FAILURE_WINDOW = dt.timedelta(minutes=15)
USER_ENTITY = "user"


class WeChatVisitor(Base):
    """Someone who follows (or followed) the official account, staff or villager alike."""

    __tablename__ = "wechat_visitors"

    id: Mapped[intpk]
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[instant]
    bind_failures: Mapped[int] = mapped_column(Integer, default=0)
    bind_failures_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InboundMessage(Base):
    """A claim on one inbound message or event: the key makes every retry a no-op.

    One B-tree and nothing else (the key is the primary key; on SQLite the table has no rowid):
    a row is written for every message, and each index more is written with it. The daily purge
    by `received_at` scans the table instead, which holds two days of messages.
    """

    __tablename__ = "wechat_inbound_messages"
    __table_args__ = {"sqlite_with_rowid": False}

    dedupe_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[instant]
    kind: Mapped[str] = mapped_column(String(40))
    openid: Mapped[str] = mapped_column(String(64))


# On PostgreSQL the claims skip the write-ahead log: a claim then commits without waiting for a
# disk flush (measured: 0.36 ms instead of 0.92 ms here). Claims are worth only the 15 s of
# WeChat's retries; after a crash PostgreSQL empties the table, and at worst a retry arriving
# just then is handled twice. (Models and migration 0002 both apply it.)
SET_CLAIMS_UNLOGGED = f"ALTER TABLE {InboundMessage.__tablename__} SET UNLOGGED"
SET_CLAIMS_LOGGED = f"ALTER TABLE {InboundMessage.__tablename__} SET LOGGED"
event.listen(InboundMessage.__table__, "after_create", DDL(SET_CLAIMS_UNLOGGED).execute_if(dialect="postgresql"))


class BindCode(Base):
    """A one-time code a signed-in staff member sends from WeChat to link the two."""

    __tablename__ = "wechat_bind_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[instant]
    expires_at: Mapped[instant]
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class BindRefused(DomainError):
    """The bind code was not accepted; the failed attempt is already counted (flushed)."""


def dedupe_key(*parts: object) -> str:
    """A fixed-length key for a message's identifying parts (openid, MsgId or event fields)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


CLAIMS_KEPT = dt.timedelta(days=2)  # WeChat's three tries of one message span about 15 s


@dataclass(frozen=True)
class Claim:
    first: bool  # False: a retry of a message already claimed
    staff_id: int | None  # the active staff member who sent it; None: a villager


_ACTIVE_STAFF_OF_OPENID = (User.wechat_openid == bindparam("openid"), User.active.is_(True))
_STAFF_ID = select(User.id).where(*_ACTIVE_STAFF_OF_OPENID)


def _claim_statement(insert):
    table = InboundMessage.__table__
    return (
        insert(table)
        .values(
            dedupe_key=bindparam("key"),
            kind=bindparam("kind"),
            openid=bindparam("openid"),
            received_at=bindparam("now", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_STAFF_ID.scalar_subquery())
    )


# Claims a message for handling and tells whether staff sent it, in one statement: INSERT … ON
# CONFLICT DO NOTHING RETURNING (the sender's staff id), no row for a retry. A concurrent claim of
# the same key waits for the first to commit and then inserts nothing, on PostgreSQL and SQLite
# alike, without an exception. Built once and run on the driver: it runs on every message.
CLAIM = DriverStatement({"postgresql": _claim_statement(postgresql.insert), "sqlite": _claim_statement(sqlite.insert)})


# The sender's staff id alone (when the claim itself is made elsewhere: in Redis).
STAFF_ID_OF_OPENID = DriverStatement({"postgresql": _STAFF_ID, "sqlite": _STAFF_ID})


def claim_params(key: str, *, kind: str, openid: str, now: dt.datetime) -> dict[str, object]:
    """CLAIM's parameters for one message."""
    return {"key": key, "kind": kind[:40], "openid": openid[:64], "now": now}


def claim_of(row: tuple | None) -> Claim:
    """What CLAIM's row (or its absence) says."""
    return Claim(first=row is not None, staff_id=row[0] if row else None)


def purge_claims(session: Session, now: dt.datetime) -> str:
    """Forget claims of messages older than any retry of them could be."""
    result = session.execute(delete(InboundMessage).where(InboundMessage.received_at < now - CLAIMS_KEPT))
    return f"删除 {result.rowcount} 条消息去重记录"


def _visitor(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    visitor = session.scalar(select(WeChatVisitor).where(WeChatVisitor.openid == openid))
    if visitor is None:
        visitor = WeChatVisitor(openid=openid, subscribed=True, last_seen_at=now, bind_failures=0)
        session.add(visitor)
    visitor.last_seen_at = now
    return visitor


def record_subscribe(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    visitor = _visitor(session, openid, now)
    visitor.subscribed = True
    visitor.subscribed_at = now
    session.flush()
    return visitor


def record_unsubscribe(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    """Mark the visitor as gone: nothing more may be pushed to them until they follow again."""
    visitor = _visitor(session, openid, now)
    visitor.subscribed = False
    visitor.unsubscribed_at = now
    session.flush()
    return visitor


def record_seen(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    visitor = _visitor(session, openid, now)
    session.flush()
    return visitor


def can_push(session: Session, openid: str) -> bool:
    """Whether messages may be pushed to this openid (it has not unfollowed the account)."""
    subscribed = session.scalar(select(WeChatVisitor.subscribed).where(WeChatVisitor.openid == openid))
    return subscribed is not False


_STAFF_BY_OPENID = select(User).where(*_ACTIVE_STAFF_OF_OPENID).options(lazyload("*"))


def staff_for_openid(session: Session, openid: str) -> User | None:
    """The active staff member whose WeChat this is, or None (a villager)."""
    return session.scalar(_STAFF_BY_OPENID, {"openid": openid})


def _hash_code(code: str) -> str:
    return hashlib.sha256(f"guanhu-bind:{code}".encode()).hexdigest()


def issue_bind_code(session: Session, user: User, now: dt.datetime) -> str:
    """A fresh code for `user`, valid 10 minutes; their earlier unused codes stop working."""
    session.execute(update(BindCode).where(BindCode.user_id == user.id, BindCode.used_at.is_(None)).values(used_at=now))
    while True:
        code = f"{secrets.randbelow(10**BIND_CODE_DIGITS):0{BIND_CODE_DIGITS}d}"
        if _live_code(session, code, now) is None:
            break
    session.add(
        BindCode(
            user_id=user.id,
            code_hash=_hash_code(code),
            created_at=now,
            expires_at=now + BIND_CODE_LIFETIME,
        )
    )
    session.flush()
    return code


def _live_code(session: Session, code: str, now: dt.datetime) -> BindCode | None:
    return session.scalar(
        select(BindCode).where(
            BindCode.code_hash == _hash_code(code),
            BindCode.used_at.is_(None),
            BindCode.expires_at > now,
        )
    )


def redeem_bind_code(session: Session, openid: str, code: str, now: dt.datetime) -> User:
    """Link the WeChat `openid` to the staff account that holds `code`.

    Raises BindRefused for a wrong, used or expired code, and after too many failures from this
    openid; the failure count is flushed first, so the door should commit even then.
    """
    visitor = _visitor(session, openid, now)
    if visitor.bind_failures_since is None or now - visitor.bind_failures_since > BIND_FAILURE_WINDOW:
        visitor.bind_failures, visitor.bind_failures_since = 0, now
    if visitor.bind_failures >= BIND_MAX_FAILURES:
        session.flush()
        raise BindRefused("输错次数太多了，请15分钟后再试。")
    bind_code = _live_code(session, code.strip(), now) if code.strip().isdigit() else None
    user = session.get(User, bind_code.user_id) if bind_code else None
    if user is None or not user.active:
        visitor.bind_failures += 1
        session.flush()
        raise BindRefused("绑定码不对或已过期。请在网页上重新获取绑定码，10分钟内发送。")
    bind_code.used_at = now
    visitor.bind_failures, visitor.bind_failures_since = 0, None
    previous_owner = session.scalar(select(User).where(User.wechat_openid == openid, User.id != user.id))
    if previous_owner is not None:
        _set_openid(session, previous_owner, None, now)
    _set_openid(session, user, openid, now)
    return user


def unbind_wechat(session: Session, user: User, now: dt.datetime) -> None:
    """Unlink the staff member's WeChat; nothing more is pushed to it for them."""
    if user.wechat_openid is not None:
        _set_openid(session, user, None, now)


def _set_openid(session: Session, user: User, openid: str | None, now: dt.datetime) -> None:
    action = "wechat_bind" if openid else "wechat_unbind"
    user.wechat_openid = openid
    session.flush()
    audit.record(
        session,
        actor=user,
        entity_type=USER_ENTITY,
        entity_id=user.id,
        action=action,
        changes={"wechat": [None, "已绑定"] if openid else ["已绑定", None]},
        now=now,
    )
    session.flush()
