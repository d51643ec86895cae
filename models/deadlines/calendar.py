"""The yearly calendar as data: the shipped kinds, each district's dates per year, and the
concrete tasks they make.

A deadline kind (`DeadlineKind`) says what must be done, at which level, by which roles, when by
default, and how to remind about it. Each district keeps its own calendar per year
(`CalendarEntry`, a moved date is a data change), and each entry becomes one concrete task
(`Deadline`) per responsible region: "village self-evaluation 2026, 石桥村, due 2026-12-10".
Other features (complaints, repairs, inspections, public notices) open deadlines of their own
kinds (`operations.open_deadline`, kept in step by `sources`), and the same reminder machinery
serves them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.orm import Session

from models import audit
from models.deadlines.entities import CALENDAR_ENTITY, CalendarEntry, Deadline, DeadlineKind, KindRole, ResponsibleLevel
from models.errors import Forbidden, Invalid, NotFound
from models.people import Department, Role, User
from models.regions import Region, RegionLevel


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


NOTICE_OWNERS = (Role.VILLAGE_CLERK, Role.TOWN_OFFICIAL, Role.DISTRICT_ADMIN)


# The yearly calendar of docs/domain.md, then the deadlines other features open.
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
    KindDefault(
        "objection_limit",
        "公示异议办理时限",
        _T,
        (Role.TOWN_OFFICIAL,),
        None,
        escalate_to=Role.DISTRICT_ADMIN,
        urgent=True,
    ),
    # Owned by the unit that opened the notice: a village's clerks, a town's officials, the district.
    KindDefault("notice_end", "公示期满", _V, NOTICE_OWNERS, None),
)


DEFAULT_DAYS_BEFORE = [7, 3, 1]


DEFAULT_DAYS_AFTER = 7


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
    if entry is None or entry.district_id != actor.region.own_district_id:
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
