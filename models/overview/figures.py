"""A person's region at a glance: the home page's figures, each with the filter of the list that
shows what it counts (so a figure and its list always agree: the count is that list's count).

Every count is made in the database (COUNT, GROUP BY) over the scope `models/access.py` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, func, select

from models.access import asset_scope, visible_assets
from models.assets.entities import Asset, AssetClass, AssetStatus
from models.assets.queries import RegisterFilter, register_conditions
from models.complaints.entities import Rating
from models.complaints.queries import InboxFilter, visible_complaints
from models.maintenance.entities import MaintenanceKind
from models.maintenance.queries import RecordFilter, Repair, visible_records
from models.overview.waiting import Context
from models.paging import counts_of
from models.regions import Region, RegionLevel

CLASS_WORD = "资产类别"


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    wanted: RegisterFilter | InboxFilter | RecordFilter  # the list that shows what is counted


@dataclass(frozen=True)
class Share:
    """A part of a whole (有管护员 17 of 20 in use)."""

    label: str
    part: Figure
    whole: Figure


@dataclass(frozen=True)
class AreaRow:
    """One town, village or class of assets, counted by status."""

    label: str
    wanted: RegisterFilter
    by_status: list[Figure]  # the statuses it has, in AssetStatus order


@dataclass(frozen=True)
class Glance:
    areas: list[AreaRow]
    area_word: str  # what a row is: 乡镇, 村 or 资产类别
    classes: list[Figure]
    care: list[Share]
    complaints_received: Figure
    complaints: list[Share]
    ratings: list[Figure]
    by_month: list[Figure]  # complaints received in each month of the year so far
    damage_reports: Figure
    repairs: list[Share]
    year: int


def glance(context: Context) -> Glance:
    year = context.today.year
    received = InboxFilter(year=year, timezone=context.timezone)
    complaints = _complaints(
        context,
        [
            ("收到", received),
            ("已答复", replace(received, answered_only=True)),
            ("按时答复", replace(received, on_time_only=True)),
            ("逾期未办", replace(received, overdue_only=True)),
            *((rating.label, replace(received, rating=rating)) for rating in Rating),
            *((f"{month}月", replace(received, month=month)) for month in range(1, context.today.month + 1)),
        ],
    )
    reports = RecordFilter(kind=MaintenanceKind.DAMAGE_REPORT, year=year, timezone=context.timezone)
    records = _records(
        context,
        [
            ("损毁报告", reports),
            ("已修复", replace(reports, repair=Repair.DONE)),
            ("按时修复", replace(reports, repair=Repair.ON_TIME)),
            ("逾期未修复", replace(reports, repair=Repair.LATE)),
        ],
    )
    areas, area_word = _areas(context)
    return Glance(
        areas=areas,
        area_word=area_word,
        classes=[] if area_word == CLASS_WORD else _classes(context),
        care=_care(context),
        complaints_received=complaints[0],
        complaints=[
            Share("已答复", complaints[1], complaints[0]),
            Share("按时答复", complaints[2], complaints[1]),
            Share("逾期未办", complaints[3], complaints[0]),
        ],
        ratings=complaints[4 : 4 + len(Rating)],
        by_month=complaints[4 + len(Rating) :],
        damage_reports=records[0],
        repairs=[
            Share("已修复", records[1], records[0]),
            Share("按时修复", records[2], records[1]),
            Share("逾期未修复", records[3], records[0]),
        ],
        year=year,
    )


def _figures(context: Context, scoped: Select, wanted: list[tuple[str, Any]], conditions: Callable) -> list[Figure]:
    """The figures of one list's filters: that list's scoped query under each filter's conditions,
    counted in one statement."""
    counts = counts_of(context.session, scoped, [conditions(filter_) for _, filter_ in wanted])
    return [Figure(label, count, filter_) for (label, filter_), count in zip(wanted, counts, strict=True)]


def _assets(context: Context, wanted: list[tuple[str, RegisterFilter]]) -> list[Figure]:
    session, now = context.session, context.now
    return _figures(context, visible_assets(context.user), wanted, lambda f: register_conditions(session, f, now))


def _complaints(context: Context, wanted: list[tuple[str, InboxFilter]]) -> list[Figure]:
    user, today = context.user, context.today
    return _figures(context, visible_complaints(user), wanted, lambda f: f.conditions(user, today, today.year))


def _records(context: Context, wanted: list[tuple[str, RecordFilter]]) -> list[Figure]:
    return _figures(context, visible_records(context.user), wanted, lambda f: f.conditions(context.today))


def _care(context: Context) -> list[Share]:
    in_use, *parts = _assets(
        context,
        [
            ("在用资产", RegisterFilter(in_use_only=True)),
            ("管护员有账号", RegisterFilter(keeper_only=True)),
            ("巡查按时", RegisterFilter(on_time_only=True)),
            ("资产卡已上墙", RegisterFilter(card_only=True)),
        ],
    )
    return [Share(part.label, part, in_use) for part in parts]


def _classes(context: Context) -> list[Figure]:
    counts = dict(
        context.session.execute(
            select(Asset.asset_class, func.count()).where(asset_scope(context.user)).group_by(Asset.asset_class)
        ).all()
    )
    return [Figure(c.label, counts[c], RegisterFilter(asset_class=c)) for c in AssetClass if counts.get(c)]


def _areas(context: Context) -> tuple[list[AreaRow], str]:
    """Assets by status per town (for the district), per village (for a town), else per class."""
    level = context.user.role.region_level
    if level is RegionLevel.VILLAGE:
        keys = [(c, c.label, RegisterFilter(asset_class=c)) for c in AssetClass]
        return _rows(context, Asset.asset_class, keys), CLASS_WORD
    column, child_level, filter_name = (
        (Asset.town_id, RegionLevel.TOWN, "town_id")
        if level is RegionLevel.DISTRICT
        else (Asset.village_id, RegionLevel.VILLAGE, "village_id")
    )
    children = context.session.scalars(
        select(Region)
        .where(Region.parent_id == context.user.region_id, Region.level == child_level)
        .order_by(Region.id)
    )
    keys = [(region.id, region.name, RegisterFilter(**{filter_name: region.id})) for region in children]
    return _rows(context, column, keys), child_level.label if level is RegionLevel.DISTRICT else "村"


def _rows(context: Context, column, keys: list) -> list[AreaRow]:
    counts: dict[tuple, int] = {
        (key, status): n
        for key, status, n in context.session.execute(
            select(column, Asset.status, func.count()).where(asset_scope(context.user)).group_by(column, Asset.status)
        )
    }
    rows = []
    for key, label, wanted in keys:
        by_status = [
            Figure(status.label, counts[key, status], replace(wanted, status=status))
            for status in AssetStatus
            if counts.get((key, status))
        ]
        rows.append(AreaRow(label, wanted, by_status))
    return rows
