"""What the district's charts show, counted in a few grouped queries: the grades of each town's
villages, the items most often lost, each town this year against last, each village's scores over
the years."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.evaluations.entities import Grade, ItemScore, SheetItem, Stage, Status, TownResult, VillageEvaluation
from models.regions import Region, RegionLevel

SCORED = (Status.REVIEWED, Status.RATED)
LOST_ITEMS_SHOWN = 8


@dataclass(frozen=True)
class Pictures:
    towns: list[Region]
    grades: dict[int, Counter[Grade]]  # town id -> villages per grade
    lost: list[tuple[str, int]]  # item text -> villages that lost points on it, most first
    town_scores: dict[int, dict[int, Decimal]]  # town id -> {year: score}
    village_scores: dict[int, dict[int, Decimal]]  # village id -> {year: score}
    villages: list[Region]


def _scored(district: Region):
    return (
        (VillageEvaluation.district_id == district.id)
        & (VillageEvaluation.stage == Stage.SELF_EVALUATION)
        & (VillageEvaluation.score.is_not(None))
    )


def pictures(session: Session, district: Region, year: int, town: Region | None) -> Pictures:
    towns = list(
        session.scalars(
            select(Region).where(Region.parent_id == district.id, Region.level == RegionLevel.TOWN).order_by(Region.id)
        )
    )
    grades: dict[int, Counter[Grade]] = defaultdict(Counter)
    for town_id, grade, count in session.execute(
        select(VillageEvaluation.town_id, VillageEvaluation.grade, func.count())
        .where(_scored(district), VillageEvaluation.year == year, VillageEvaluation.status.in_(SCORED))
        .group_by(VillageEvaluation.town_id, VillageEvaluation.grade)
    ):
        grades[town_id][grade] += count
    standing = func.coalesce(ItemScore.department_score, ItemScore.town_score, ItemScore.confirmed)
    lost = session.execute(
        select(SheetItem.text, func.count())
        .join(ItemScore, ItemScore.item_id == SheetItem.id)
        .join(VillageEvaluation, VillageEvaluation.id == ItemScore.evaluation_id)
        .where(_scored(district), VillageEvaluation.year == year, standing < SheetItem.points)
        .group_by(SheetItem.text)
        .order_by(func.count().desc(), SheetItem.text)
        .limit(LOST_ITEMS_SHOWN)
    ).all()
    town_scores: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for town_id, result_year, score in session.execute(
        select(TownResult.town_id, TownResult.year, TownResult.score).where(
            TownResult.district_id == district.id, TownResult.year.in_((year - 1, year))
        )
    ):
        town_scores[town_id][result_year] = score
    villages = []
    village_scores: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if town is not None:
        villages = list(
            session.scalars(
                select(Region)
                .where(Region.parent_id == town.id, Region.level == RegionLevel.VILLAGE)
                .order_by(Region.id)
            )
        )
        for village_id, result_year, score in session.execute(
            select(VillageEvaluation.village_id, VillageEvaluation.year, VillageEvaluation.score).where(
                _scored(district), VillageEvaluation.town_id == town.id, VillageEvaluation.year <= year
            )
        ):
            village_scores[village_id][result_year] = score
    return Pictures(towns, grades, [(text, count) for text, count in lost], town_scores, village_scores, villages)
