"""Why a record's photos deserve a second look: capture time, distance, recycled pictures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.clock import local_date
from models.maintenance.entities import EvidenceRules, MaintenanceRecord, maintenance_photos
from models.photos import Photo, similar_photos


def evidence_flags(
    session: Session, record: MaintenanceRecord, asset: Asset, rules: EvidenceRules, timezone: str
) -> list[str]:
    """Plain Chinese reasons why this record's photos deserve a second look (empty when none);
    dates are told as they fall in `timezone`."""
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
            flags.append(f"第{number}张照片与{_where_used(session, other, record, timezone)}的照片相同或高度相似")
    return flags


def _first_record_holding(session: Session, photo: Photo, this_record: MaintenanceRecord):
    """(id, recorded_at, asset code, asset name) of the first other record holding `photo`, or None."""
    return session.execute(
        select(MaintenanceRecord.id, MaintenanceRecord.recorded_at, Asset.code, Asset.name)
        .join(maintenance_photos, maintenance_photos.c.record_id == MaintenanceRecord.id)
        .join(Asset, Asset.id == MaintenanceRecord.asset_id)
        .where(maintenance_photos.c.photo_id == photo.id, MaintenanceRecord.id != this_record.id)
        .order_by(MaintenanceRecord.recorded_at)
        .limit(1)
    ).first()


def _where_used(session: Session, photo: Photo, this_record: MaintenanceRecord, timezone: str) -> str:
    row = _first_record_holding(session, photo, this_record)
    if row is None:
        return "系统中已有照片"
    return f"资产{row.code}（{row.name}）{local_date(row.recorded_at, timezone).isoformat()}的管护记录"


@dataclass(frozen=True)
class PhotoMatch:
    """An earlier photo that one of a record's photos repeats, and the record holding it (if any)."""

    photo: Photo
    record_id: int | None
    asset_label: str | None  # "C-1 石桥村便民桥" of that record


def photo_matches(session: Session, record: MaintenanceRecord) -> dict[int, list[PhotoMatch]]:
    """For each of the record's photos (by id) that repeats an earlier photo, what it repeats: the
    links behind the flag "与…的照片相同或高度相似"."""
    found: dict[int, list[PhotoMatch]] = {}
    for photo in record.photos:
        for other, _distance in similar_photos(session, photo):
            if other.id > photo.id:
                continue  # a later photo repeats this one: that record carries the flag
            row = _first_record_holding(session, other, record)
            label = f"{row.code} {row.name}" if row else None
            found.setdefault(photo.id, []).append(PhotoMatch(other, row.id if row else None, label))
    return found


EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
