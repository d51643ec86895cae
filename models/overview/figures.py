"""A person's region at a glance: the home page's figures, each with the filter of the list that
shows what it counts (so a figure and its list always agree: the count is that list's count).

Every count is made in the database (COUNT, GROUP BY) over the scope `models/access.py` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select

from models.access import asset_scope
from models.assets.entities import Asset, AssetClass, AssetStatus
from models.assets.queries import RegisterFilter, listed_assets
from models.complaints.entities import Rating
from models.complaints.queries import InboxFilter, visible_complaints
from models.maintenance.entities import MaintenanceKind
from models.maintenance.queries import RecordFilter, Repair, listed_records
from models.overview.waiting import Context
from models.paging import count_of
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
    damage_reports: Figure
    repairs: list[Share]
    year: int


def glance(context: Context) -> Glance:
    year = context.today.year
    received = _complaints(context, "收到", InboxFilter(year=year, timezone=context.timezone))
    answered = _complaints(context, "已答复", replace(received.wanted, answered_only=True))
    on_time = _complaints(context, "按时答复", replace(received.wanted, on_time_only=True))
    overdue = _complaints(context, "逾期未办", replace(received.wanted, overdue_only=True))
    reports = _records(
        context, "损毁报告", RecordFilter(kind=MaintenanceKind.DAMAGE_REPORT, year=year, timezone=context.timezone)
    )
    repaired = _records(context, "已修复", replace(reports.wanted, repair=Repair.DONE))
    areas, area_word = _areas(context)
    return Glance(
        areas=areas,
        area_word=area_word,
        classes=[] if area_word == CLASS_WORD else _classes(context),
        care=_care(context),
        complaints_received=received,
        complaints=[
            Share("已答复", answered, received),
            Share("按时答复", on_time, answered),
            Share("逾期未办", overdue, received),
        ],
        ratings=[_complaints(context, rating.label, replace(received.wanted, rating=rating)) for rating in Rating],
        damage_reports=reports,
        repairs=[
            Share("已修复", repaired, reports),
            Share("按时修复", _records(context, "按时修复", replace(reports.wanted, repair=Repair.ON_TIME)), repaired),
            Share("逾期未修复", _records(context, "逾期未修复", replace(reports.wanted, repair=Repair.LATE)), reports),
        ],
        year=year,
    )


def _assets(context: Context, label: str, wanted: RegisterFilter) -> Figure:
    return Figure(
        label, count_of(context.session, listed_assets(context.session, context.user, wanted, context.now)), wanted
    )


def _complaints(context: Context, label: str, wanted: InboxFilter) -> Figure:
    conditions = wanted.conditions(context.user, context.today, context.today.year)
    return Figure(label, count_of(context.session, visible_complaints(context.user).where(*conditions)), wanted)


def _records(context: Context, label: str, wanted: RecordFilter) -> Figure:
    return Figure(label, count_of(context.session, listed_records(context.user, wanted, context.today)), wanted)


def _care(context: Context) -> list[Share]:
    in_use = _assets(context, "在用资产", RegisterFilter(in_use_only=True))
    return [
        Share(label, _assets(context, label, wanted), in_use)
        for label, wanted in (
            ("管护员有账号", RegisterFilter(keeper_only=True)),
            ("巡查按时", RegisterFilter(on_time_only=True)),
            ("资产卡已上墙", RegisterFilter(card_only=True)),
        )
    ]


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
