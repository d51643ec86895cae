"""Recording maintenance (inspections, repairs, upkeep, damage reports) with photos, and reviewing it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from models import audit
from models.access import require_can_record_maintenance, require_can_review_maintenance
from models.assets.entities import Asset, AssetStatus
from models.clock import local_date
from models.errors import Invalid
from models.maintenance.entities import RULES, EvidenceRules, MaintenanceKind, MaintenanceRecord, RepairTask
from models.maintenance.evidence import evidence_flags
from models.people import User
from models.photos import store_photos
from models.storage import MediaStorage

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
    rules: EvidenceRules = RULES,
) -> MaintenanceRecord:
    """Save a record with all its photos, flag doubtful evidence, and apply its effect on the asset.

    A damage report marks the asset 损毁 and opens a repair task; a repair closes open tasks and
    restores a damaged asset to 正常. Raises before anything is kept if any photo is refused.
    """
    require_can_record_maintenance(actor, asset)
    notes = (notes or "").strip() or None
    _validate(kind, photos, notes, cost, rules)
    stored = store_photos(session, storage, photos, now=now, uploaded_by_id=actor.id)
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
    record.flags = evidence_flags(session, record, asset, rules, timezone)
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
