"""What needs a person (我的任务): their own open deadlines, the overdue ones of the level below,
and the assets in their scope that need something done. The one definition the web page and the
WeChat command both show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.access import regions_under
from models.assets.entities import Asset, AssetStatus
from models.assets.queries import RegisterFilter, matching_assets
from models.deadlines.entities import Deadline, KindRole
from models.errors import NotFound
from models.paging import count_of
from models.people import Role, User


@dataclass(frozen=True)
class Task:
    deadline: Deadline
    days_left: int  # negative: overdue by that many days
    escalated: bool  # shown because the region below let it pass

    @property
    def state(self) -> str:
        if self.deadline.is_done:
            return "已完成"
        if self.days_left < 0:
            return f"逾期{-self.days_left}天"
        if self.days_left == 0:
            return "今天截止"
        return f"还剩{self.days_left}天"


def owner_condition(user: User):
    """Deadlines `user` owns by role and region (their department's, for a department)."""
    roles = select(KindRole.kind).where(KindRole.role == user.role, KindRole.upper.is_(False))
    condition = Deadline.kind_code.in_(roles) & (Deadline.region_id == user.region_id)
    if user.role is Role.DEPARTMENT:
        condition &= Deadline.department_id == user.department_id
    return condition


def escalated_condition(user: User, today: dt.date):
    """Overdue deadlines of the regions below that `user` is told about."""
    roles = select(KindRole.kind).where(KindRole.role == user.role, KindRole.upper.is_(True))
    return Deadline.kind_code.in_(roles) & (Deadline.upper_region_id == user.region_id) & (Deadline.due_on < today)


def open_tasks_for(session: Session, user: User, today: dt.date) -> list[Task]:
    """What is due for `user` (my tasks): own open deadlines and escalated overdue ones, most
    urgent first: the deadlines of `waiting_for`."""
    if not user.active:
        return []
    query = (
        select(Deadline)
        .where(Deadline.done_at.is_(None), or_(owner_condition(user), escalated_condition(user, today)))
        .order_by(Deadline.urgent.desc(), Deadline.due_on, Deadline.id)
    )
    return [_task(user, deadline, today) for deadline in session.scalars(query)]


def done_tasks_for(session: Session, user: User, today: dt.date, limit: int = 20) -> list[Task]:
    query = (
        select(Deadline)
        .where(Deadline.done_at.is_not(None), owner_condition(user))
        .order_by(Deadline.done_at.desc())
        .limit(limit)
    )
    return [_task(user, deadline, today) for deadline in session.scalars(query)]


def _task(user: User, deadline: Deadline, today: dt.date) -> Task:
    owns = deadline.region_id == user.region_id and any(
        r.role is user.role and not r.upper for r in deadline.kind.roles
    )
    return Task(deadline, (deadline.due_on - today).days, escalated=not owns)


def get_task(session: Session, user: User, deadline_id: int, today: dt.date) -> Task:
    """One deadline `user` may see as a task of theirs, or NotFound."""
    deadline = session.scalar(
        select(Deadline).where(Deadline.id == deadline_id, or_(owner_condition(user), escalated_condition(user, today)))
    )
    if deadline is None or not user.active:
        raise NotFound()
    return _task(user, deadline, today)


def open_deadlines_under(session: Session, user: User, limit: int) -> list[Deadline]:
    """Open deadlines of every region `user` oversees (their own and those below), soonest first."""
    if not user.active:
        return []
    query = (
        select(Deadline)
        .where(Deadline.done_at.is_(None), Deadline.region_id.in_(regions_under(user)))
        .order_by(Deadline.due_on, Deadline.id)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class AssetsNeedingCare:
    """Assets in the person's scope that need something done: how many, the first few names, and
    the register filter that lists them all."""

    label: str
    wanted: RegisterFilter
    count: int
    names: list[str]


# What makes an asset need someone (the register's own filters, so the count is what the link lists).
ASSETS_NEEDING_CARE = (
    ("资产损毁待修", RegisterFilter(status=AssetStatus.DAMAGED)),
    ("资产卡未上墙", RegisterFilter(no_card_only=True)),
)
NAMES_SHOWN = 3


@dataclass(frozen=True)
class MyTasks:
    deadlines: list[Task]
    assets: list[AssetsNeedingCare]  # only the groups that have any

    @property
    def empty(self) -> bool:
        return not (self.deadlines or self.assets)


def waiting_for(session: Session, user: User, today: dt.date) -> MyTasks:
    """Everything that is waiting for `user`, most urgent deadlines first."""
    groups = []
    for label, wanted in ASSETS_NEEDING_CARE if user.active else ():
        query = matching_assets(user, wanted)
        count = count_of(session, query)
        if count:
            names = list(session.scalars(query.with_only_columns(Asset.name).order_by(Asset.code).limit(NAMES_SHOWN)))
            groups.append(AssetsNeedingCare(label, wanted, count, names))
    return MyTasks(deadlines=open_tasks_for(session, user, today), assets=groups)
