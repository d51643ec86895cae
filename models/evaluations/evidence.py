"""What our records say about a village's evaluated assets over a period, read in a few grouped
queries so that the rules (`rules`) only count."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.assets.entities import Asset, AssetClass
from models.complaints.entities import Complaint, ComplaintCategory, ComplaintStatus, Rating
from models.evaluations.entities import EVALUATED_CLASSES, CareRating, EvaluatedAsset, Stage
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.operating.entities import IncomeRecord


@dataclass(frozen=True)
class Period:
    """The stretch of the year an evaluation looks at: from Jan 1 to the stage's end (Jun 30 for the
    self-check, Dec 31 for the self-evaluation), or to now if that comes first; instants in UTC."""

    year: int
    start: dt.datetime
    end: dt.datetime
    zone: ZoneInfo

    @classmethod
    def of(cls, year: int, stage: Stage, now: dt.datetime, timezone: str) -> Period:
        zone = ZoneInfo(timezone)
        start = dt.datetime(year, 1, 1, tzinfo=zone)
        stage_end = (
            dt.datetime(year, 7, 1, tzinfo=zone)
            if stage is Stage.SELF_CHECK
            else dt.datetime(year + 1, 1, 1, tzinfo=zone)
        )
        return cls(year, start.astimezone(dt.UTC), min(stage_end.astimezone(dt.UTC), now), zone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()


@dataclass
class VillageRecords:
    """The evaluated assets of one village (by class) and the records about them in a period."""

    period: Period
    assets: dict[AssetClass, list[Asset]]
    upkeep: Counter[int] = field(default_factory=Counter)  # asset id -> records of care in the period
    repairs: list[RepairTask] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)
    care_ratings: dict[int, Counter[Rating]] = field(default_factory=lambda: defaultdict(Counter))
    income: set[int] = field(default_factory=set)  # asset ids with income received in the period

    def of_class(self, asset_class: AssetClass) -> list[Asset]:
        return self.assets.get(asset_class, [])


CUSTODY_CATEGORIES = (ComplaintCategory.DAMAGE, ComplaintCategory.NEGLECT, ComplaintCategory.OCCUPIED)
# A complaint is upheld once it is taken up: accepted and on (not refused, not still waiting).
NOT_UPHELD = (ComplaintStatus.NEW, ComplaintStatus.REJECTED)


def evaluated_assets(session: Session, village_id: int, period: Period) -> dict[AssetClass, list[Asset]]:
    """The assets that enter the village's evaluation: those the departments marked for the year,
    else every public-benefit and operating asset registered by the period's end and not disposed
    of before the year began."""
    marked = select(EvaluatedAsset.asset_id).where(
        EvaluatedAsset.village_id == village_id, EvaluatedAsset.year == period.year
    )
    query = select(Asset).where(Asset.village_id == village_id, Asset.asset_class.in_(EVALUATED_CLASSES))
    if session.scalar(select(func.count()).select_from(marked.subquery())):
        query = query.where(Asset.id.in_(marked))
    else:
        year_start = dt.date(period.year, 1, 1)
        query = query.where(
            Asset.created_at <= period.end, (Asset.disposed_on.is_(None)) | (Asset.disposed_on >= year_start)
        )
    assets: dict[AssetClass, list[Asset]] = defaultdict(list)
    for asset in session.scalars(query.order_by(Asset.code)):
        assets[asset.asset_class].append(asset)
    return dict(assets)


def village_records(session: Session, village_id: int, period: Period) -> VillageRecords:
    records = VillageRecords(period, evaluated_assets(session, village_id, period))
    ids = [asset.id for assets in records.assets.values() for asset in assets]
    if not ids:
        return records
    within = (MaintenanceRecord.recorded_at >= period.start) & (MaintenanceRecord.recorded_at <= period.end)
    upkeep = session.execute(
        select(MaintenanceRecord.asset_id, func.count())
        .where(
            MaintenanceRecord.asset_id.in_(ids),
            MaintenanceRecord.kind != MaintenanceKind.DAMAGE_REPORT,
            MaintenanceRecord.doubtful.is_(False),
            within,
        )
        .group_by(MaintenanceRecord.asset_id)
    )
    records.upkeep.update(dict(upkeep.all()))
    records.repairs = list(
        session.scalars(
            select(RepairTask).where(
                RepairTask.asset_id.in_(ids), RepairTask.opened_at >= period.start, RepairTask.opened_at <= period.end
            )
        )
    )
    records.complaints = list(
        session.scalars(
            select(Complaint).where(
                Complaint.asset_id.in_(ids), Complaint.created_at >= period.start, Complaint.created_at <= period.end
            )
        )
    )
    ratings = session.execute(
        select(CareRating.asset_id, CareRating.rating, func.count())
        .where(CareRating.asset_id.in_(ids), CareRating.year == period.year)
        .group_by(CareRating.asset_id, CareRating.rating)
    )
    for asset_id, rating, count in ratings:
        records.care_ratings[asset_id][rating] += count
    records.income = set(
        session.scalars(
            select(IncomeRecord.asset_id).where(
                IncomeRecord.asset_id.in_(ids),
                IncomeRecord.received_on >= dt.date(period.year, 1, 1),
                IncomeRecord.received_on <= period.local_date(period.end),
            )
        )
    )
    return records
