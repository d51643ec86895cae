"""Deadlines: the yearly calendar as data, concrete tasks per region, and marking them done.

A deadline kind (`DeadlineKind`) says what must be done, at which level, by which roles, when by
default, and how to remind about it. Each district keeps its own calendar per year
(`CalendarEntry`, a moved date is a data change), and each entry becomes one concrete task
(`Deadline`) per responsible region: "village self-evaluation 2026, 石桥村, due 2026-12-10".
Other features (complaints, repairs, inspections, public notices) open deadlines of their own
kinds through `open_deadline`, and the same reminder machinery serves them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import audit
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.errors import Forbidden, Invalid, NotFound
from models.people import Department, Role, User
from models.regions import Region, RegionLevel


class ResponsibleLevel(LabelledEnum):
    DISTRICT = ("district", "区县")
    DEPARTMENT = ("department", "行业主管部门")
    TOWN = ("town", "乡镇")
    VILLAGE = ("village", "村（社区）")
    PROVINCE = ("province", "省级/第三方")  # shown on the calendar; nobody here is reminded


@dataclass(frozen=True)
class KindDefault:
    code: str
    title: str
    level: ResponsibleLevel
    roles: tuple[Role, ...]
    due: str | None  # "MM-DD" for calendar kinds; None for event deadlines (complaints …)
    starts: str | None = None
    escalate_to: Role | None = None
    urgent: bool = False


_V, _T, _D = ResponsibleLevel.VILLAGE, ResponsibleLevel.TOWN, ResponsibleLevel.DISTRICT
_VILLAGE_ROLES = (Role.VILLAGE_CLERK, Role.VILLAGE_SUPERVISOR)

# The yearly calendar of ../shared/DOMAIN.md, then the deadlines other features open.
DEFAULT_KINDS = (
    KindDefault(
        "trade_asset_list",
        "确定本行业纳入评价的资产清单",
        ResponsibleLevel.DEPARTMENT,
        (Role.DEPARTMENT,),
        "01-25",
        escalate_to=Role.DISTRICT_ADMIN,
    ),
    KindDefault("performance_targets", "设定并下达各村绩效目标", _D, (Role.DISTRICT_ADMIN,), "01-31"),
    KindDefault(
        "asset_inventory", "完成资产清查并上报", _T, (Role.TOWN_OFFICIAL,), "06-02", escalate_to=Role.DISTRICT_ADMIN
    ),
    KindDefault(
        "system_data_entry",
        "全国系统资产模块信息填报",
        _T,
        (Role.TOWN_OFFICIAL,),
        "06-25",
        escalate_to=Role.DISTRICT_ADMIN,
    ),
    KindDefault(
        "midyear_self_check", "年中自查（两委签字）报镇", _V, _VILLAGE_ROLES, "06-30", escalate_to=Role.TOWN_OFFICIAL
    ),
    KindDefault("onsite_verification", "省级/第三方现场核查", ResponsibleLevel.PROVINCE, (), "08-10", starts="07-01"),
    KindDefault(
        "town_rectification",
        "核查问题整改",
        _T,
        (Role.TOWN_OFFICIAL,),
        "08-20",
        starts="08-11",
        escalate_to=Role.DISTRICT_ADMIN,
    ),
    KindDefault(
        "village_rectification",
        "核查问题整改",
        _V,
        _VILLAGE_ROLES,
        "08-20",
        starts="08-11",
        escalate_to=Role.TOWN_OFFICIAL,
    ),
    KindDefault("provincial_filing", "省级备案", ResponsibleLevel.PROVINCE, (), "08-31", starts="08-21"),
    KindDefault(
        "village_self_evaluation",
        "年终自评（签字并公示10天）报镇",
        _V,
        _VILLAGE_ROLES,
        "12-10",
        escalate_to=Role.TOWN_OFFICIAL,
    ),
    KindDefault(
        "town_review", "复核各村并评分报区", _T, (Role.TOWN_OFFICIAL,), "12-20", escalate_to=Role.DISTRICT_ADMIN
    ),
    KindDefault("town_rating", "评定各乡镇等次", _D, (Role.DISTRICT_ADMIN,), "12-31"),
    KindDefault(
        "complaint_limit",
        "信访投诉办理时限",
        _V,
        (Role.VILLAGE_CLERK,),
        None,
        escalate_to=Role.TOWN_OFFICIAL,
        urgent=True,
    ),
    KindDefault(
        "complaint_reopened",
        "群众不满意重新办理时限",
        _T,
        (Role.TOWN_OFFICIAL,),
        None,
        escalate_to=Role.DISTRICT_ADMIN,
        urgent=True,
    ),
    KindDefault(
        "repair_limit",
        "损毁资产维修时限",
        _V,
        (Role.VILLAGE_CLERK, Role.CUSTODIAN),
        None,
        escalate_to=Role.TOWN_OFFICIAL,
        urgent=True,
    ),
    KindDefault("inspection_overdue", "资产巡查逾期", _V, (Role.CUSTODIAN,), None, escalate_to=Role.VILLAGE_CLERK),
    KindDefault("notice_end", "公示期满", _V, (Role.VILLAGE_CLERK,), None),
)

DEFAULT_DAYS_BEFORE = [7, 3, 1]
DEFAULT_DAYS_AFTER = 7


class DeadlineKind(Base):
    """A kind of deadline and its reminder plan (days before, on the day, then daily after)."""

    __tablename__ = "deadline_kinds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(60))
    level: Mapped[ResponsibleLevel] = mapped_column(enum_column(ResponsibleLevel))
    default_due: Mapped[str | None] = mapped_column(String(5))
    default_starts: Mapped[str | None] = mapped_column(String(5))
    days_before: Mapped[list[int]] = mapped_column(JSON)
    days_after: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)

    roles: Mapped[list[KindRole]] = relationship(lazy="selectin", order_by="KindRole.role")

    @property
    def on_calendar(self) -> bool:
        return self.default_due is not None

    @property
    def tracked(self) -> bool:
        """Whether concrete tasks are made and people reminded (not for province-level items)."""
        return self.level is not ResponsibleLevel.PROVINCE

    def step_offsets(self) -> list[int]:
        """The plan as day offsets from the due date: -7, -3, -1, 0, 1 … days_after."""
        before = sorted({-abs(days) for days in self.days_before if days})
        return [*before, 0, *range(1, self.days_after + 1)]


class KindRole(Base):
    """Who is reminded of a kind: `upper=False` the owner region's role, `upper=True` the role one
    level up, told only once the deadline has passed."""

    __tablename__ = "deadline_kind_roles"

    kind: Mapped[str] = mapped_column(ForeignKey("deadline_kinds.code"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    upper: Mapped[bool] = mapped_column(Boolean, primary_key=True)


class CalendarEntry(Base):
    """One line of a district's calendar for one year."""

    __tablename__ = "calendar_entries"
    __table_args__ = (UniqueConstraint("district_id", "year", "kind"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind_code: Mapped[str] = mapped_column("kind", ForeignKey("deadline_kinds.code"))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)

    kind: Mapped[DeadlineKind] = relationship(lazy="joined")


class Deadline(Base):
    """A concrete task of one region (or one department) with its due date; open until done."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index(
            "ix_deadlines_open_due",
            "kind",
            "due_on",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index("ix_deadlines_calendar", "district_id", "year", "kind"),
    )

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind_code: Mapped[str] = mapped_column("kind", ForeignKey("deadline_kinds.code"))
    title: Mapped[str] = mapped_column(String(100))
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    # The region whose `upper` roles are told once the deadline has passed.
    upper_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(60))  # e.g. "complaint:12"
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[instant]
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    kind: Mapped[DeadlineKind] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(foreign_keys=[region_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    done_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def place(self) -> str:
        return self.department.name if self.department else (self.region.full_name or self.region.name)


ENTITY = "deadline"
CALENDAR_ENTITY = "calendar_entry"


# -- kinds and calendars ------------------------------------------------------------------------


def ensure_kinds(session: Session) -> dict[str, DeadlineKind]:
    """The shipped kinds, created where missing (an edited plan is left as it is)."""
    kinds = {kind.code: kind for kind in session.scalars(select(DeadlineKind))}
    for default in DEFAULT_KINDS:
        if default.code in kinds:
            continue
        kind = DeadlineKind(
            code=default.code,
            title=default.title,
            level=default.level,
            default_due=default.due,
            default_starts=default.starts,
            days_before=list(DEFAULT_DAYS_BEFORE),
            days_after=DEFAULT_DAYS_AFTER,
            urgent=default.urgent,
        )
        kind.roles = [KindRole(role=role, upper=False) for role in default.roles]
        if default.escalate_to:
            kind.roles.append(KindRole(role=default.escalate_to, upper=True))
        session.add(kind)
        kinds[kind.code] = kind
    session.flush()
    return kinds


def _month_day(year: int, text: str) -> dt.date:
    month, day = (int(part) for part in text.split("-"))
    return dt.date(year, month, day)


def ensure_calendar(session: Session, district: Region, year: int) -> list[CalendarEntry]:
    """The district's calendar for `year`, with the default dates where it has none yet."""
    kinds = ensure_kinds(session)
    entries = {entry.kind_code: entry for entry in calendar(session, district, year)}
    for kind in kinds.values():
        if kind.on_calendar and kind.code not in entries:
            entry = CalendarEntry(
                district_id=district.id,
                year=year,
                kind=kind,
                due_on=_month_day(year, kind.default_due),
                starts_on=_month_day(year, kind.default_starts) if kind.default_starts else None,
            )
            session.add(entry)
            entries[kind.code] = entry
    session.flush()
    return sorted(entries.values(), key=lambda e: (e.starts_on or e.due_on, e.due_on))


def calendar(session: Session, district: Region, year: int) -> list[CalendarEntry]:
    return list(
        session.scalars(
            select(CalendarEntry)
            .where(CalendarEntry.district_id == district.id, CalendarEntry.year == year)
            .order_by(CalendarEntry.due_on, CalendarEntry.id)
        )
    )


def get_calendar_entry(session: Session, actor: User, entry_id: int) -> CalendarEntry:
    entry = session.get(CalendarEntry, entry_id)
    if entry is None or entry.district_id != _district_id(actor.region):
        raise NotFound()
    return entry


def move_calendar_entry(
    session: Session, actor: User, entry: CalendarEntry, due_on: dt.date, starts_on: dt.date | None, now: dt.datetime
) -> CalendarEntry:
    """Move a date of the district's calendar (a notice changed it); open tasks follow."""
    if actor.role is not Role.DISTRICT_ADMIN or entry.district_id != actor.region_id:
        raise Forbidden("只有本区乡村振兴局可以调整任务日历。")
    errors = {}
    if due_on.year != entry.year:
        errors["due_on"] = f"截止日期应在{entry.year}年内。"
    if starts_on is not None and starts_on > due_on:
        errors["starts_on"] = "开始日期不能晚于截止日期。"
    if errors:
        raise Invalid(errors)
    before = {"due_on": entry.due_on.isoformat(), "starts_on": entry.starts_on.isoformat() if entry.starts_on else None}
    entry.due_on, entry.starts_on = due_on, starts_on
    after = {"due_on": due_on.isoformat(), "starts_on": starts_on.isoformat() if starts_on else None}
    if before == after:
        return entry
    session.execute(
        update(Deadline)
        .where(
            Deadline.district_id == entry.district_id,
            Deadline.year == entry.year,
            Deadline.kind_code == entry.kind_code,
            Deadline.done_at.is_(None),
        )
        .values(due_on=due_on, starts_on=starts_on)
        .execution_options(synchronize_session="fetch")
    )
    audit.record(
        session,
        actor=actor,
        entity_type=CALENDAR_ENTITY,
        entity_id=entry.id,
        action="move",
        changes={"kind": entry.kind_code, "from": before, "to": after},
        now=now,
    )
    return entry


def ensure_deadlines(session: Session, district: Region, year: int, now: dt.datetime) -> int:
    """Make the concrete tasks of the district's calendar for `year`; safe to run again.

    Returns how many were created."""
    entries = [e for e in ensure_calendar(session, district, year) if e.kind.tracked]
    existing = set(
        session.scalars(select(Deadline.key).where(Deadline.district_id == district.id, Deadline.year == year))
    )
    owners = _owners_by_level(session, district)
    rows = []
    for entry in entries:
        for region_id, upper_id, department_id in owners[entry.kind.level]:
            owner = f"d{department_id}" if department_id else f"r{region_id}"
            key = f"{entry.kind_code}:{year}:{owner}"
            if key in existing:
                continue
            rows.append(
                Deadline(
                    key=key,
                    kind=entry.kind,
                    title=f"{year}年{entry.kind.title}",
                    district_id=district.id,
                    region_id=region_id,
                    upper_region_id=upper_id,
                    department_id=department_id,
                    year=year,
                    starts_on=entry.starts_on,
                    due_on=entry.due_on,
                    urgent=entry.kind.urgent,
                    created_at=now,
                )
            )
    session.add_all(rows)
    session.flush()
    return len(rows)


def _owners_by_level(session: Session, district: Region) -> dict[ResponsibleLevel, list[tuple]]:
    """(region, upper region, department) of every owner of a task at each level."""
    towns = session.execute(
        select(Region.id).where(Region.parent_id == district.id, Region.level == RegionLevel.TOWN)
    ).scalars()
    villages = session.execute(
        select(Region.id, Region.parent_id).where(
            Region.district_id == district.id, Region.level == RegionLevel.VILLAGE
        )
    ).all()
    departments = session.scalars(select(Department.id).where(Department.district_id == district.id))
    return {
        ResponsibleLevel.DISTRICT: [(district.id, None, None)],
        ResponsibleLevel.DEPARTMENT: [(district.id, district.id, d) for d in departments],
        ResponsibleLevel.TOWN: [(town, district.id, None) for town in towns],
        ResponsibleLevel.VILLAGE: [(village, town, None) for village, town in villages],
    }


def _district_id(region: Region) -> int:
    return region.district_id or region.id


# -- deadlines other features open --------------------------------------------------------------


def open_deadline(
    session: Session, *, kind: str, region: Region, due_on: dt.date, source: str, title: str, now: dt.datetime
) -> Deadline:
    """Open (once per `source`) a deadline of another feature, e.g. a complaint's time limit."""
    kinds = ensure_kinds(session)
    key = f"{kind}:{source}"
    deadline = session.scalar(select(Deadline).where(Deadline.key == key))
    if deadline is not None:
        return deadline
    deadline = Deadline(
        key=key,
        kind=kinds[kind],
        title=title[:100],
        district_id=_district_id(region),
        region_id=region.id,
        upper_region_id=_upper_region_id(kinds[kind], region),
        source=source,
        due_on=due_on,
        urgent=kinds[kind].urgent,
        created_at=now,
    )
    session.add(deadline)
    session.flush()
    audit.record(
        session,
        actor=None,
        entity_type=ENTITY,
        entity_id=deadline.id,
        action="open",
        changes={"kind": kind, "due_on": due_on.isoformat(), "source": source},
        now=now,
        first=True,
    )
    return deadline


def _upper_region_id(kind: DeadlineKind, region: Region) -> int | None:
    """Where the level up is told: the region above, or the same one when the escalation role
    works at this level (an overdue inspection goes to the same village's clerk)."""
    upper = [r.role for r in kind.roles if r.upper]
    if upper and upper[0].region_level is region.level:
        return region.id
    return region.parent_id


def close_deadline(session: Session, key: str, record: str, now: dt.datetime) -> Deadline | None:
    """Close a deadline because the record it asked for now exists (used by later features)."""
    deadline = session.scalar(select(Deadline).where(Deadline.key == key))
    if deadline is None or deadline.is_done:
        return deadline
    _finish(session, None, deadline, {"record": record}, now)
    return deadline


# -- tasks of a person --------------------------------------------------------------------------


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


def mark_done(
    session: Session,
    actor: User,
    deadline_id: int,
    *,
    note: str = "",
    file_key: str = "",
    record: str = "",
    today: dt.date,
    now: dt.datetime,
) -> Deadline:
    """Mark one of the actor's own tasks done, with its evidence (a note, a file or a record)."""
    task = get_task(session, actor, deadline_id, today)
    if task.escalated:
        raise Forbidden("这项任务由下级负责，请督促其完成。")
    if task.deadline.is_done:
        raise Invalid({"done": "这项任务已经完成了。"})
    evidence = {
        name: value.strip()[:500]
        for name, value in (("note", note), ("file", file_key), ("record", record))
        if value and value.strip()
    }
    if not evidence:
        raise Invalid({"note": "请填写完成情况说明，或附上文件、记录。"})
    _finish(session, actor, task.deadline, evidence, now)
    return task.deadline


def _finish(
    session: Session, actor: User | None, deadline: Deadline, evidence: dict[str, str], now: dt.datetime
) -> None:
    deadline.done_at, deadline.done_by, deadline.evidence = now, actor, evidence
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=deadline.id,
        action="done",
        changes={"evidence": evidence},
        now=now,
    )
