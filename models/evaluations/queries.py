"""Reading the yearly evaluation: results, a village's evaluations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.evaluations.entities import Stage, TownResult, VillageEvaluation
from models.regions import Region, RegionLevel


def village_evaluation(session: Session, village_id: int, year: int, stage: Stage) -> VillageEvaluation | None:
    return session.scalar(
        select(VillageEvaluation).where(
            VillageEvaluation.village_id == village_id, VillageEvaluation.year == year, VillageEvaluation.stage == stage
        )
    )


def result_of(session: Session, region: Region, year: int) -> VillageEvaluation | TownResult | None:
    """The year's result row of a town, or the year-end evaluation of a village (scored or not)."""
    if region.level is RegionLevel.TOWN:
        return session.scalar(select(TownResult).where(TownResult.town_id == region.id, TownResult.year == year))
    return village_evaluation(session, region.id, year, Stage.SELF_EVALUATION)


def village_grade(session: Session, village_id: int, year: int) -> VillageEvaluation | None:
    """The village's year-end evaluation once the town has scored it (what its villagers are shown)."""
    evaluation = village_evaluation(session, village_id, year, Stage.SELF_EVALUATION)
    return evaluation if evaluation is not None and evaluation.grade is not None else None


def results_in(session: Session, regions: list[Region], year: int) -> dict[int, VillageEvaluation | TownResult]:
    """Scored results by region id for the given towns and villages."""
    town_ids = [r.id for r in regions if r.level is RegionLevel.TOWN]
    village_ids = [r.id for r in regions if r.level is RegionLevel.VILLAGE]
    results: dict[int, VillageEvaluation | TownResult] = {}
    if town_ids:
        towns = session.scalars(select(TownResult).where(TownResult.town_id.in_(town_ids), TownResult.year == year))
        results.update({result.town_id: result for result in towns})
    if village_ids:
        villages = session.scalars(
            select(VillageEvaluation).where(
                VillageEvaluation.village_id.in_(village_ids),
                VillageEvaluation.year == year,
                VillageEvaluation.stage == Stage.SELF_EVALUATION,
                VillageEvaluation.score.is_not(None),
            )
        )
        results.update({evaluation.village_id: evaluation for evaluation in villages})
    return results
