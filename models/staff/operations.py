"""What those who manage staff do to accounts, and what everyone does to their own password.

`actor` is the person acting, checked against models.access; None is the server's operator (the
`guanhu user …` commands), who may do anything. Every change is in the audit log; an account is
never deleted (the log points at it), only stopped. Ending the sessions a change should end is
the door's part (they may live in Redis): see infra.sign_in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit
from models.access import get_managed_user, require_can_give
from models.errors import Invalid, NotFound
from models.people import MIN_PASSWORD_LENGTH, Department, Role, User, VillagePost, account_problems, create_user
from models.regions import Region
from models.staff.entities import LinkDelivery, PasswordLink
from models.wechat.binding import USER_ENTITY, unbind_wechat

# A new account's first link waits for its owner to be told; a reset's is short-lived.
NEW_ACCOUNT_LINK_LIFETIME = dt.timedelta(days=3)
RESET_LINK_LIFETIME = dt.timedelta(minutes=30)
LINK_GONE = "这个链接无效、已用过或已过期。请联系管理您账号的工作人员重新发送。"
LINK_PATH = "/account/set-password/"  # the page (web/staff/account.py) a link opens, its token after


def password_link(base_url: str, token: str) -> str:
    """The address of the page where the token's owner sets their password."""
    return f"{base_url}{LINK_PATH}{token}"


@dataclass(frozen=True)
class StaffDetails:
    """What a manager fills in for an account."""

    name: str
    phone: str
    role: Role
    region: Region
    department: Department | None = None
    village_post: VillagePost | None = None


@dataclass(frozen=True)
class IssuedLink:
    link: PasswordLink
    token: str  # the only copy: shown once or sent, never stored


def account_snapshot(user: User) -> dict[str, Any]:
    """An account's details as the audit log keeps them (words people read, never the password)."""
    return {
        "name": user.name,
        "phone": user.phone,
        "role": user.role.label,
        "region": user.region.full_name or user.region.name,
        "department": user.department.name if user.department else None,
        "village_post": user.village_post.label if user.village_post else None,
    }


def _audit(session: Session, actor: User | None, user: User, action: str, changes: dict, now: dt.datetime) -> None:
    audit.record(
        session, actor=actor, entity_type=USER_ENTITY, entity_id=user.id, action=action, changes=changes, now=now
    )


def _check_details(session: Session, details: StaffDetails, user: User | None = None) -> None:
    errors = account_problems(
        session,
        phone=details.phone.strip(),
        name=details.name.strip(),
        role=details.role,
        region=details.region,
        department=details.department,
        village_post=details.village_post,
        user=user,
    )
    if errors:
        raise Invalid(errors)


def create_staff(session: Session, actor: User | None, details: StaffDetails, now: dt.datetime) -> IssuedLink:
    """A new account without a password, and the one-time link its owner sets one with."""
    if actor is not None:
        require_can_give(actor, details.role, details.region)
    _check_details(session, details)
    user = create_user(
        session,
        phone=details.phone,
        name=details.name,
        password=None,
        role=details.role,
        region=details.region,
        department=details.department,
        village_post=details.village_post,
        now=now,
    )
    created = {field: [None, value] for field, value in account_snapshot(user).items() if value is not None}
    audit.record(
        session,
        actor=actor,
        entity_type=USER_ENTITY,
        entity_id=user.id,
        action="create",
        changes=created,
        now=now,
        first=True,
    )
    return _issue_link(session, actor, user, now, to_wechat=False)


def update_staff(
    session: Session, actor: User | None, user: User, details: StaffDetails, now: dt.datetime
) -> dict[str, list]:
    """Change an account's details; returns what changed (before, after), also in the audit log."""
    if actor is not None:
        get_managed_user(session, actor, user.id)
        require_can_give(actor, details.role, details.region)
    _check_details(session, details, user)
    before = account_snapshot(user)
    user.name, user.phone = details.name.strip(), details.phone.strip()
    user.role, user.region, user.department = details.role, details.region, details.department
    user.village_post = details.village_post
    session.flush()
    after = account_snapshot(user)
    changes = {field: [before[field], after[field]] for field in before if before[field] != after[field]}
    if changes:
        _audit(session, actor, user, "update", changes, now)
    return changes


def deactivate_staff(session: Session, actor: User | None, user: User, now: dt.datetime) -> None:
    """Stop an account: it signs in no more (its sessions are ended by the door) and gets no pushes;
    its unused password links stop working. Its records and history stay."""
    if actor is not None:
        get_managed_user(session, actor, user.id)
    if not user.active:
        raise Invalid({"active": f"{user.name}的账号已经停用。"})
    user.active = False
    _void_links(session, user, now)
    session.flush()
    _audit(session, actor, user, "deactivate", {"active": ["在用", "停用"]}, now)


def reactivate_staff(session: Session, actor: User | None, user: User, now: dt.datetime) -> None:
    if actor is not None:
        get_managed_user(session, actor, user.id)
    if user.active:
        raise Invalid({"active": f"{user.name}的账号正在使用，无需启用。"})
    if user.village_post is not None:
        _check_details(
            session,
            StaffDetails(user.name, user.phone, user.role, user.region, user.department, user.village_post),
            user,
        )
    user.active = True
    session.flush()
    _audit(session, actor, user, "reactivate", {"active": ["停用", "在用"]}, now)


def unbind_staff_wechat(session: Session, actor: User | None, user: User, now: dt.datetime) -> None:
    if actor is not None:
        get_managed_user(session, actor, user.id)
    if user.wechat_openid is None:
        raise Invalid({"wechat": f"{user.name}没有绑定微信。"})
    unbind_wechat(session, user, now, actor)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _void_links(session: Session, user: User, now: dt.datetime) -> None:
    for link in session.scalars(
        select(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
    ):
        link.used_at = now


def issue_password_link(
    session: Session, actor: User | None, user: User, now: dt.datetime, *, to_wechat: bool = False
) -> IssuedLink:
    """A one-time link for `user` to set a new password with; their old password stops working at
    once, and so do links issued before. `to_wechat`: it will be sent to their bound WeChat, and
    open only there."""
    if actor is not None:
        get_managed_user(session, actor, user.id)
    if not user.active:
        raise Invalid({"active": f"{user.name}的账号已停用，请先启用。"})
    if to_wechat and user.wechat_openid is None:
        raise Invalid({"delivery": f"{user.name}没有绑定微信，请选择显示链接。"})
    issued = _issue_link(session, actor, user, now, to_wechat=to_wechat)
    _audit(session, actor, user, "password_reset", {"password": ["", issued.link.delivery.label]}, now)
    return issued


def _issue_link(session: Session, actor: User | None, user: User, now: dt.datetime, *, to_wechat: bool) -> IssuedLink:
    """Valid 30 minutes; 3 days for an account that has never signed in (its owner must be told)."""
    _void_links(session, user, now)
    token = secrets.token_urlsafe(32)
    lifetime = NEW_ACCOUNT_LINK_LIFETIME if user.last_sign_in_at is None else RESET_LINK_LIFETIME
    link = PasswordLink(
        user_id=user.id,
        token_hash=_token_hash(token),
        delivery=LinkDelivery.WECHAT if to_wechat else LinkDelivery.SHOWN,
        openid=user.wechat_openid if to_wechat else None,
        created_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(link)
    user.disable_password()
    session.flush()
    return IssuedLink(link, token)


def open_password_link(session: Session, token: str, now: dt.datetime) -> PasswordLink:
    """The unused, unexpired link `token` opens, for an active account."""
    link = session.scalar(select(PasswordLink).where(PasswordLink.token_hash == _token_hash(token.strip())))
    if link is None or link.used_at is not None or link.expires_at <= now or not link.user.active:
        raise NotFound(LINK_GONE)
    return link


def link_needs_wechat(link: PasswordLink, signed_in: User | None) -> bool:
    """Whether the link was sent to a WeChat and the visitor is not signed in through it yet."""
    if link.delivery is not LinkDelivery.WECHAT:
        return False
    return signed_in is None or signed_in.id != link.user_id or signed_in.wechat_openid != link.openid


def set_password_by_link(
    session: Session, token: str, password: str, repeated: str, now: dt.datetime, *, signed_in: User | None
) -> User:
    """Set the password of the link's account and use the link up. A link sent to a WeChat works
    only for its account signed in through that WeChat (`signed_in`)."""
    link = open_password_link(session, token, now)
    if link_needs_wechat(link, signed_in):
        raise NotFound(LINK_GONE)
    user = link.user
    _set_new_password(user, password, repeated)
    link.used_at = now
    session.flush()
    _audit(session, user, user, "password_set", {"password": ["", "本人通过一次性链接设置"]}, now)
    return user


def change_own_password(
    session: Session, user: User, current: str, password: str, repeated: str, now: dt.datetime
) -> None:
    """A signed-in person changes their own password, proving they know the present one."""
    if not user.check_password(current):
        raise Invalid({"current": "当前密码不正确。"})
    if password == current:
        raise Invalid({"password": "新密码不能与当前密码相同。"})
    _set_new_password(user, password, repeated)
    session.flush()
    _audit(session, user, user, "password_change", {"password": ["", "本人修改"]}, now)


def _set_new_password(user: User, password: str, repeated: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid({"password": f"新密码至少需要{MIN_PASSWORD_LENGTH}位。"})
    if password != repeated:
        raise Invalid({"repeated": "两次输入的新密码不一致。"})
    user.set_password(password)
