"""What needs a person (我的任务): their own open deadlines, the overdue ones of the level below,
and the assets in their scope that need something done. The one definition the web page and the
WeChat command both show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from models.access import regions_under
from models.assets.entities import Asset, AssetStatus
from models.assets.queries import RegisterFilter, matching_assets
from models.deadlines.entities import Deadline, KindRole
from models.errors import NotFound
from models.maintenance.entities import RepairTask
from models.paging import count_of
from models.people import Role, User
from models.regions import RegionLevel


@dataclass(frozen=True)
class Subject:
    """What a task is about, so that it links there: a complaint, a maintenance record (the damage
    report a repair is for), an asset, a public notice, or the district calendar (`id` is then the
    year)."""

    kind: str  # "complaint", "record", "asset", "notice", "calendar", "targets", "self_check", "self_evaluation",
    # "evaluation" (one village's form), "review", "rating" (the town's and the district's steps)
    id: int
    action: str  # what the link says, e.g. 去受理


@dataclass(frozen=True)
class Task:
    deadline: Deadline
    days_left: int  # negative: overdue by that many days
    escalated: bool  # shown because the one who owns it let it pass
    owner: str | None  # whose it is when escalated: a place below, or a role or department beside
    subject: Subject | None

    @property
    def state(self) -> str:
        if self.deadline.is_done:
            return "已完成"
        if self.days_left < 0:
            return f"逾期{-self.days_left}天"
        if self.days_left == 0:
            return "今天截止"
        return f"还剩{self.days_left}天"

    @property
    def closes_itself(self) -> bool:
        """Opened by another feature, or a step of the evaluation, it is done when its subject is (a
        complaint accepted, an asset repaired, a self-evaluation reported …), never by 标记完成."""
        return self.deadline.source is not None or self.deadline.kind_code in EVALUATION_STEPS


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
    return _tasks(session, user, list(session.scalars(query)), today)


def done_tasks_for(session: Session, user: User, today: dt.date, limit: int = 20) -> list[Task]:
    query = (
        select(Deadline)
        .where(Deadline.done_at.is_not(None), owner_condition(user))
        .order_by(Deadline.done_at.desc())
        .limit(limit)
    )
    return _tasks(session, user, list(session.scalars(query)), today)


def _tasks(session: Session, user: User, deadlines: list[Deadline], today: dt.date) -> list[Task]:
    subjects = subjects_of(session, deadlines)
    return [_task(user, deadline, today, subjects.get(deadline.id)) for deadline in deadlines]


def _task(user: User, deadline: Deadline, today: dt.date, subject: Subject | None) -> Task:
    owner_roles = [r.role for r in deadline.kind.roles if not r.upper]
    owns = deadline.region_id == user.region_id and user.role in owner_roles
    return Task(
        deadline,
        (deadline.due_on - today).days,
        escalated=not owns,
        owner=None if owns else _owner(user, deadline, owner_roles),
        subject=subject,
    )


def _owner(user: User, deadline: Deadline, owner_roles: list[Role]) -> str:
    """Whose task it is, as the one told about it would say: a department, the owners' role in
    their own region (本村管护员), or the region below."""
    if deadline.department is not None:
        return deadline.department.name
    if deadline.region_id == user.region_id:
        return OWN_REGION[deadline.region.level] + "、".join(role.label for role in owner_roles)
    return deadline.place


OWN_REGION = {RegionLevel.VILLAGE: "本村", RegionLevel.TOWN: "本镇", RegionLevel.DISTRICT: "本区"}


def get_task(session: Session, user: User, deadline_id: int, today: dt.date) -> Task:
    """One deadline `user` may see as a task of theirs, or NotFound."""
    deadline = session.scalar(
        select(Deadline).where(Deadline.id == deadline_id, or_(owner_condition(user), escalated_condition(user, today)))
    )
    if deadline is None or not user.active:
        raise NotFound()
    return _task(user, deadline, today, subjects_of(session, [deadline]).get(deadline.id))


# The calendar's evaluation steps, closed by doing them: (subject kind, what the link says).
EVALUATION_STEPS = {
    "trade_asset_list": ("targets", "去确定纳入评价的资产"),
    "performance_targets": ("targets", "去下达绩效目标"),
    "midyear_self_check": ("self_check", "打开年中自查表"),
    "village_self_evaluation": ("self_evaluation", "打开年终自评表"),
    "town_review": ("review", "去复核各村自评"),
    "town_rating": ("rating", "去评定各乡镇"),
}


# What the link of a task opened by another feature says, by its source ("complaint:12:accept" …).
COMPLAINT_ACTIONS = {"accept": "去受理", "appeal": "去复核申诉", "answer": "去答复"}


def subjects_of(session: Session, deadlines: list[Deadline]) -> dict[int, Subject]:
    """What each deadline is about (by deadline id): what its source names, or the calendar."""
    subjects: dict[int, Subject] = {}
    repairs: dict[int, int] = {}  # deadline id -> repair task id
    for deadline in deadlines:
        kind, _, rest = (deadline.source or "").partition(":")
        parts = rest.split(":")
        if deadline.kind_code in EVALUATION_STEPS:
            subject_kind, action = EVALUATION_STEPS[deadline.kind_code]
            subjects[deadline.id] = Subject(subject_kind, deadline.year or deadline.due_on.year, action)
        elif deadline.source is None:
            subjects[deadline.id] = Subject("calendar", deadline.year or deadline.due_on.year, "查看年度任务日历")
        elif kind == "complaint":
            subjects[deadline.id] = Subject("complaint", int(parts[0]), COMPLAINT_ACTIONS.get(parts[1], "查看反映"))
        elif kind == "inspection":
            subjects[deadline.id] = Subject("asset", int(parts[0]), "去巡查")
        elif kind == "repair":
            repairs[deadline.id] = int(parts[0])
        elif kind == "notice":
            subjects[deadline.id] = Subject("notice", int(parts[0]), "查看公示")
    reports = _pairs(session, select(RepairTask.id, RepairTask.opened_by_id), RepairTask.id, repairs.values())
    for deadline_id, task_id in repairs.items():
        if task_id in reports:
            subjects[deadline_id] = Subject("record", reports[task_id], "查看损毁报告，安排维修")
    return subjects


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


def _pairs(session: Session, query: Select, key: Any, ids: Iterable[int]) -> dict[int, int]:
    """{key: value} of `query`'s two columns for the rows whose key is one of `ids` (none asked: none)."""
    wanted = list(ids)
    return dict(session.execute(query.where(key.in_(wanted))).all()) if wanted else {}
