"""Binding a staff account to a WeChat with a one-time code, and unbinding it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.orm import Session

from models import audit
from models.errors import DomainError
from models.people import User
from models.wechat.entities import BindCode
from models.wechat.visitors import _visitor

BIND_CODE_DIGITS = 6


BIND_CODE_LIFETIME = dt.timedelta(minutes=10)


BIND_MAX_FAILURES = 5


BIND_FAILURE_WINDOW = dt.timedelta(minutes=15)


# Beside each WeChat's own limit, what every WeChat together may try (kept in shared storage by
# the door, per hour): one code at most 5 times, and at most 100 wrong codes from everyone. A
# guesser with many WeChat accounts then has ~100 tries an hour against a million codes, while
# a county binding all its staff on one training day is not held up (right codes do not count).
BIND_LIMIT_WINDOW = dt.timedelta(hours=1)
BIND_TRIES_PER_CODE = 5
BIND_FAILURES_IN_ALL = 100
BIND_FAILURES_KEY = "bind-failures"
BIND_TRIES_OF_CODE_SPENT = "这个绑定码已经被试过太多次了。请在网页上重新获取绑定码。"
BIND_TRIES_SPENT = "绑定的尝试太多了，请一小时后再试。"


USER_ENTITY = "user"


class BindRefused(DomainError):
    """The bind code was not accepted; the failed attempt is already counted (flushed)."""


def bind_code_key(code: str) -> str:
    """The shared key counting attempts with `code` (its hash: the code itself is never kept)."""
    return f"bind-code:{_hash_code(code)[:32]}"


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


def unbind_wechat(session: Session, user: User, now: dt.datetime, actor: User | None = None) -> None:
    """Unlink the staff member's WeChat (by them, or by `actor` who manages them); nothing more is
    pushed to it for them."""
    if user.wechat_openid is not None:
        _set_openid(session, user, None, now, actor)


def _set_openid(session: Session, user: User, openid: str | None, now: dt.datetime, actor: User | None = None) -> None:
    action = "wechat_bind" if openid else "wechat_unbind"
    user.wechat_openid = openid
    session.flush()
    audit.record(
        session,
        actor=actor or user,
        entity_type=USER_ENTITY,
        entity_id=user.id,
        action=action,
        changes={"wechat": [None, "已绑定"] if openid else ["已绑定", None]},
        now=now,
    )
    session.flush()
