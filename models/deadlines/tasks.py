"""Tasks of a person (我的任务): their own open deadlines and the overdue ones of the level below."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.orm import Session

from models.deadlines.entities import Deadline, KindRole
from models.errors import NotFound
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
    urgent first. Used by the web's 我的任务 and the WeChat command of the same name."""
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
