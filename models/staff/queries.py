"""The accounts a manager looks after: searched, filtered and paged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from models import audit
from models.access import managed_staff
from models.audit import AuditEntry
from models.base import LabelledEnum
from models.errors import NotFound
from models.paging import Page, page_of
from models.people import Department, Role, User
from models.regions import Region
from models.wechat.binding import USER_ENTITY

STALE_AFTER = dt.timedelta(days=30)


class SignInRecency(LabelledEnum):
    NEVER = ("never", "从未登录")
    STALE = ("stale", "30天内未登录")
    RECENT = ("recent", "30天内登录过")


@dataclass(frozen=True)
class StaffFilter:
    text: str | None = None  # part of a name or phone number
    role: Role | None = None
    region_id: int | None = None  # the region, or any under it
    active: bool | None = None
    wechat_bound: bool | None = None
    signed_in: SignInRecency | None = None
    page: int = 1
    per_page: int = 20


def search_staff(session: Session, actor: User | None, wanted: StaffFilter, now: dt.datetime) -> Page[User]:
    """The accounts `actor` manages (None: the server's operator, every account) that match
    `wanted`, by region, then role, then name."""
    query = select(User) if actor is None else select(User).where(managed_staff(actor))
    if wanted.text:
        text = wanted.text.strip()
        query = query.where(or_(User.name.contains(text, autoescape=True), User.phone.contains(text, autoescape=True)))
    if wanted.role is not None:
        query = query.where(User.role == wanted.role)
    if wanted.region_id is not None:
        under = select(Region.id).where(or_(Region.id == wanted.region_id, Region.parent_id == wanted.region_id))
        query = query.where(User.region_id.in_(under))
    if wanted.active is not None:
        query = query.where(User.active.is_(wanted.active))
    if wanted.wechat_bound is not None:
        bound = User.wechat_openid.is_not(None)
        query = query.where(bound if wanted.wechat_bound else ~bound)
    if wanted.signed_in is SignInRecency.NEVER:
        query = query.where(User.last_sign_in_at.is_(None))
    elif wanted.signed_in is SignInRecency.STALE:
        query = query.where(or_(User.last_sign_in_at.is_(None), User.last_sign_in_at < now - STALE_AFTER))
    elif wanted.signed_in is SignInRecency.RECENT:
        query = query.where(User.last_sign_in_at >= now - STALE_AFTER)
    by_rank = case(*[(User.role == role, rank) for rank, role in enumerate(Role)])
    return page_of(session, query, wanted.page, wanted.per_page, [User.region_id, by_rank, User.name, User.id])


def departments_of(session: Session, actor: User) -> list[Department]:
    """The departments of the actor's district, a department account may be given."""
    query = select(Department).where(Department.district_id == actor.region.own_district_id)
    return list(session.scalars(query.order_by(Department.id)))


def account_by_phone(session: Session, phone: str) -> User:
    user = session.scalar(select(User).where(User.phone == phone.strip()))
    if user is None:
        raise NotFound(f"没有手机号为 {phone.strip()} 的账号。")
    return user


def account_history(session: Session, user: User) -> list[AuditEntry]:
    """The account's audit entries, newest first."""
    return list(reversed(audit.history(session, USER_ENTITY, user.id)))
