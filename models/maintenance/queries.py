"""Reading maintenance records and what is overdue: inspections and repairs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from models.access import asset_scope
from models.assets.entities import Asset, AssetStatus, AssetSubtype
from models.base import LabelledEnum
from models.clock import local_day
from models.errors import NotFound
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask, maintenance_photos
from models.people import User
from models.photos import Photo


def recent_records(session: Session, asset: Asset, limit: int = 10) -> list[MaintenanceRecord]:
    return list(
        session.scalars(
            select(MaintenanceRecord)
            .where(MaintenanceRecord.asset_id == asset.id)
            .order_by(MaintenanceRecord.recorded_at.desc(), MaintenanceRecord.id.desc())
            .limit(limit)
        )
    )


def inspection_overdue(session: Session, now: dt.datetime) -> ColumnElement[bool]:
    """The condition an asset (not disposed) meets when no upkeep fell within its sub-type's interval."""
    conditions = [
        and_(
            Asset.subtype_id == subtype.id,
            func.coalesce(Asset.last_inspected_at, Asset.created_at)
            < now - dt.timedelta(days=subtype.inspection_interval_days),
        )
        for subtype in session.scalars(select(AssetSubtype))
    ]
    return and_(Asset.status != AssetStatus.DISPOSED, or_(false(), *conditions))


def overdue_inspections(session: Session, now: dt.datetime) -> Select[tuple[Asset]]:
    """Assets overdue for inspection; add a scope to it."""
    return select(Asset).where(inspection_overdue(session, now))


def overdue_repairs(today: dt.date) -> Select[tuple[RepairTask]]:
    """Open repair tasks past their due date (for reminders and escalation)."""
    return select(RepairTask).where(RepairTask.closed_at.is_(None), RepairTask.due_on < today)


class Shown(LabelledEnum):
    """Which of the records a reviewer looks at."""

    FLAGGED = ("flagged", "有疑点的")
    DOUBTFUL = ("doubtful", "已标记存疑的")
    TO_REVIEW = ("to_review", "有疑点待核实的")  # flagged, not (yet) marked doubtful


class Repair(LabelledEnum):
    """Where the repair a damage report asked for stands."""

    OPEN = ("open", "待修复")
    LATE = ("late", "逾期未修复")
    DONE = ("done", "已修复")
    ON_TIME = ("on_time", "按时修复")


@dataclass
class RecordFilter:
    """What the records list shows: every filter of the list page in one place."""

    shown: Shown | None = None
    kind: MaintenanceKind | None = None
    repair: Repair | None = None  # only damage reports whose repair stands so
    year: int | None = None  # recorded that (local) year
    timezone: str = "Asia/Shanghai"  # GUANHU_TIMEZONE: years and due dates are local

    def conditions(self, today: dt.date) -> list[ColumnElement[bool]]:
        conditions = []
        if self.shown is Shown.FLAGGED:
            conditions.append(MaintenanceRecord.flagged)
        elif self.shown is Shown.DOUBTFUL:
            conditions.append(MaintenanceRecord.doubtful)
        elif self.shown is Shown.TO_REVIEW:
            conditions += [MaintenanceRecord.flagged, MaintenanceRecord.doubtful.is_(False)]
        if self.kind is not None:
            conditions.append(MaintenanceRecord.kind == self.kind)
        if self.year is not None:
            zone = ZoneInfo(self.timezone)
            start, end = (dt.datetime(year, 1, 1, tzinfo=zone) for year in (self.year, self.year + 1))
            conditions += [MaintenanceRecord.recorded_at >= start, MaintenanceRecord.recorded_at < end]
        if self.repair is not None:
            conditions.append(MaintenanceRecord.id.in_(self._repairs(today).with_only_columns(RepairTask.opened_by_id)))
        return conditions

    def _repairs(self, today: dt.date) -> Select[tuple[RepairTask]]:
        repairs = select(RepairTask)
        if self.repair in (Repair.OPEN, Repair.LATE):
            repairs = repairs.where(RepairTask.closed_at.is_(None))
        else:
            repairs = repairs.where(RepairTask.closed_at.is_not(None))
        if self.repair is Repair.LATE:
            repairs = repairs.where(RepairTask.due_on < today)
        if self.repair is Repair.ON_TIME:
            noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
            repairs = repairs.where(local_day(RepairTask.closed_at, self.timezone, noon) <= RepairTask.due_on)
        return repairs


NEWEST_FIRST = (MaintenanceRecord.recorded_at.desc(), MaintenanceRecord.id.desc())


def visible_records(actor: User) -> Select[tuple[MaintenanceRecord]]:
    """Records of the assets the actor may see."""
    return select(MaintenanceRecord).join(Asset, Asset.id == MaintenanceRecord.asset_id).where(asset_scope(actor))


def listed_records(actor: User, wanted: RecordFilter, today: dt.date) -> Select[tuple[MaintenanceRecord]]:
    """What the records list shows for the filter, newest first."""
    return visible_records(actor).where(*wanted.conditions(today)).order_by(*NEWEST_FIRST)


def may_see_photo(session: Session, actor: User, photo: Photo) -> bool:
    """Whether the actor may see a record holding this photo (and so the photo's original)."""
    holding = visible_records(actor).where(MaintenanceRecord.id.in_(records_with_photo(photo)))
    return session.scalar(holding.with_only_columns(MaintenanceRecord.id).limit(1)) is not None


def get_visible_record(session: Session, actor: User, record_id: int) -> MaintenanceRecord:
    record = session.scalar(visible_records(actor).where(MaintenanceRecord.id == record_id))
    if record is None:
        raise NotFound()
    return record


def visible_record_ids(session: Session, actor: User, ids: set[int]) -> set[int]:
    """Those of the record `ids` the actor may see."""
    if not ids:
        return set()
    query = visible_records(actor).where(MaintenanceRecord.id.in_(ids)).with_only_columns(MaintenanceRecord.id)
    return set(session.scalars(query))


def records_with_photo(photo: Photo) -> Select[tuple[int]]:
    """Ids of the records that hold this photo."""
    return select(maintenance_photos.c.record_id).where(maintenance_photos.c.photo_id == photo.id)
