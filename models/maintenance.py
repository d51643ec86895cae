"""Maintenance records (管护记录): inspections, repairs, upkeep and damage reports, with photos."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Numeric,
    Select,
    String,
    Table,
    Text,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import audit
from models.access import asset_scope, require_can_record_maintenance, require_can_review_maintenance
from models.assets import Asset, AssetStatus, AssetSubtype
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.errors import Invalid, NotFound
from models.people import User
from models.photos import Photo, similar_photos, store_photo
from models.storage import MediaStorage


class MaintenanceKind(LabelledEnum):
    INSPECTION = ("inspection", "日常巡查")
    REPAIR = ("repair", "维修")
    UPKEEP = ("upkeep", "保养")
    DAMAGE_REPORT = ("damage_report", "损毁报告")


maintenance_photos = Table(
    "maintenance_photos",
    Base.metadata,
    Column("record_id", ForeignKey("maintenance_records.id", ondelete="CASCADE"), primary_key=True),
    Column("photo_id", ForeignKey("photos.id"), primary_key=True),
)


class MaintenanceRecord(Base):
    __tablename__ = "maintenance_records"
    __table_args__ = (Index("ix_maintenance_records_asset_time", "asset_id", "recorded_at"),)

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    kind: Mapped[MaintenanceKind] = mapped_column(enum_column(MaintenanceKind))
    notes: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    recorded_at: Mapped[instant]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(40))
    doubtful: Mapped[bool] = mapped_column(Boolean, default=False)
    doubt_reason: Mapped[str | None] = mapped_column(String(200))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    photos: Mapped[list[Photo]] = relationship(secondary=maintenance_photos, lazy="selectin", order_by=Photo.id)
    asset: Mapped[Asset] = relationship(lazy="joined")


class RepairTask(Base):
    """Opened by a damage report, closed by the next repair record of the same asset."""

    __tablename__ = "repair_tasks"
    __table_args__ = (Index("ix_repair_tasks_open_due", "closed_at", "due_on"),)

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("maintenance_records.id"))
    opened_at: Mapped[instant]
    due_on: Mapped[dt.date] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_records.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class EvidenceRules:
    """How far a photo may stray from its record before it is flagged, and repair time limits."""

    capture_drift: dt.timedelta = dt.timedelta(hours=48)
    max_distance_m: float = 2000.0
    repair_days: int = 15
    max_photos: int = 9
    max_notes: int = 1000


MAINTENANCE_ENTITY = "maintenance_record"
ASSET_ENTITY = "asset"


def record_maintenance(
    session: Session,
    storage: MediaStorage,
    actor: User,
    asset: Asset,
    *,
    kind: MaintenanceKind,
    photos: list[bytes],
    now: dt.datetime,
    timezone: str,
    notes: str | None = None,
    cost: Decimal | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    rules: EvidenceRules = EvidenceRules(),
) -> MaintenanceRecord:
    """Save a record with all its photos, flag doubtful evidence, and apply its effect on the asset.

    A damage report marks the asset 损毁 and opens a repair task; a repair closes open tasks and
    restores a damaged asset to 正常. Raises before anything is kept if any photo is refused.
    """
    require_can_record_maintenance(actor, asset)
    notes = (notes or "").strip() or None
    _validate(kind, photos, notes, cost, rules)
    stored = [store_photo(session, storage, data, now=now, uploaded_by_id=actor.id) for data in photos]
    record = MaintenanceRecord(
        asset_id=asset.id,
        kind=kind,
        notes=notes,
        cost=cost,
        latitude=latitude,
        longitude=longitude,
        recorded_at=now,
        recorded_by_id=actor.id,
        recorded_by_name=actor.name,
        photos=stored,
    )
    session.add(record)
    session.flush()
    record.flags = evidence_flags(session, record, asset, rules)
    record.flagged = bool(record.flags)
    audit.record(
        session,
        actor=actor,
        entity_type=MAINTENANCE_ENTITY,
        entity_id=record.id,
        action="create",
        changes={
            "asset": [None, asset.code],
            "kind": [None, kind.label],
            "photos": [None, len(stored)],
            "flags": [None, record.flags],
        },
        now=now,
        first=True,
    )
    if kind is MaintenanceKind.DAMAGE_REPORT:
        _set_status(session, actor, asset, AssetStatus.DAMAGED, "damage_report", now)
        today = local_date(now, timezone)
        session.add(
            RepairTask(
                asset_id=asset.id,
                opened_by_id=record.id,
                opened_at=now,
                due_on=today + dt.timedelta(days=rules.repair_days),
            )
        )
    else:
        asset.last_inspected_at = now
    if kind is MaintenanceKind.REPAIR:
        for task in session.scalars(
            select(RepairTask).where(RepairTask.asset_id == asset.id, RepairTask.closed_at.is_(None))
        ):
            task.closed_by_id, task.closed_at = record.id, now
        if asset.status is AssetStatus.DAMAGED:
            _set_status(session, actor, asset, AssetStatus.NORMAL, "repair", now)
    session.flush()
    return record


def _validate(
    kind: MaintenanceKind, photos: list[bytes], notes: str | None, cost: Decimal | None, rules: EvidenceRules
) -> None:
    errors = {}
    if not photos:
        errors["photos"] = "请至少上传一张照片作为管护凭证。"
    elif len(photos) > rules.max_photos:
        errors["photos"] = f"一次最多上传{rules.max_photos}张照片。"
    if notes and len(notes) > rules.max_notes:
        errors["notes"] = f"说明不能超过{rules.max_notes}个字。"
    if cost is not None and (cost < 0 or cost >= Decimal("1e10")):
        errors["cost"] = "费用应为不小于0的金额（元）。"
    if kind is MaintenanceKind.DAMAGE_REPORT and not notes:
        errors["notes"] = "损毁报告请写明损毁情况。"
    if errors:
        raise Invalid(errors)


def _set_status(
    session: Session, actor: User, asset: Asset, status: AssetStatus, action: str, now: dt.datetime
) -> None:
    if asset.status is status:
        return
    before = asset.status
    asset.status, asset.updated_at = status, now
    asset.version += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ASSET_ENTITY,
        entity_id=asset.id,
        action=action,
        changes={"status": [before.label, status.label]},
        now=now,
    )


def local_date(instant_: dt.datetime, timezone: str) -> dt.date:
    return instant_.astimezone(ZoneInfo(timezone)).date()


def evidence_flags(session: Session, record: MaintenanceRecord, asset: Asset, rules: EvidenceRules) -> list[str]:
    """Plain Chinese reasons why this record's photos deserve a second look (empty when none)."""
    flags = []
    for number, photo in enumerate(record.photos, start=1):
        if photo.taken_at and abs(photo.uploaded_at - photo.taken_at) > rules.capture_drift:
            days = abs(photo.uploaded_at - photo.taken_at).days
            flags.append(f"第{number}张照片的拍摄时间与上传时间相差{days}天以上")
        if None not in (photo.latitude, photo.longitude, asset.latitude, asset.longitude):
            distance = distance_m(photo.latitude, photo.longitude, asset.latitude, asset.longitude)
            if distance > rules.max_distance_m:
                flags.append(f"第{number}张照片的拍摄地点距资产约{distance / 1000:.1f}公里")
        for other, _distance in similar_photos(session, photo):
            flags.append(f"第{number}张照片与{_where_used(session, other, record)}的照片相同或高度相似")
    return flags


def _where_used(session: Session, photo: Photo, this_record: MaintenanceRecord) -> str:
    row = session.execute(
        select(MaintenanceRecord.recorded_at, Asset.code, Asset.name)
        .join(maintenance_photos, maintenance_photos.c.record_id == MaintenanceRecord.id)
        .join(Asset, Asset.id == MaintenanceRecord.asset_id)
        .where(maintenance_photos.c.photo_id == photo.id, MaintenanceRecord.id != this_record.id)
        .order_by(MaintenanceRecord.recorded_at)
        .limit(1)
    ).first()
    if row is None:
        return "系统中已有照片"
    return f"资产{row.code}（{row.name}）{row.recorded_at.astimezone(CHINA).date().isoformat()}的管护记录"


CHINA = dt.timezone(dt.timedelta(hours=8))
EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def mark_doubtful(session: Session, actor: User, record: MaintenanceRecord, reason: str, now: dt.datetime) -> None:
    """A reviewer marks a record as doubtful (or clears it with an empty reason); audited."""
    require_can_review_maintenance(actor)
    reason = reason.strip()
    if len(reason) > 200:
        raise Invalid({"reason": "原因不能超过200个字。"})
    doubtful = bool(reason)
    before = [record.doubtful, record.doubt_reason]
    record.doubtful, record.doubt_reason = doubtful, reason or None
    audit.record(
        session,
        actor=actor,
        entity_type=MAINTENANCE_ENTITY,
        entity_id=record.id,
        action="mark_doubtful" if doubtful else "clear_doubt",
        changes={"doubtful": [before[0], doubtful], "doubt_reason": [before[1], record.doubt_reason]},
        now=now,
    )


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


def visible_records(actor: User) -> Select[tuple[MaintenanceRecord]]:
    """Records of the assets the actor may see, newest first."""
    return (
        select(MaintenanceRecord)
        .join(Asset, Asset.id == MaintenanceRecord.asset_id)
        .where(asset_scope(actor))
        .order_by(MaintenanceRecord.recorded_at.desc(), MaintenanceRecord.id.desc())
    )


def get_visible_record(session: Session, actor: User, record_id: int) -> MaintenanceRecord:
    record = session.scalar(visible_records(actor).where(MaintenanceRecord.id == record_id))
    if record is None:
        raise NotFound()
    return record


def records_with_photo(photo: Photo) -> Select[tuple[int]]:
    """Ids of the records that hold this photo."""
    return select(maintenance_photos.c.record_id).where(maintenance_photos.c.photo_id == photo.id)
