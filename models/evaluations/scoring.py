"""A village's score from its item scores: each item's standing score (the department's at the
district's rating, else the town's at its review, else the village's own), each sheet's subtotal,
and the sheets combined — by the sheets' weights when the district set them, else by the number
of the village's evaluated assets of each class."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from models.assets.entities import AssetClass
from models.evaluations.entities import EVALUATED_CLASSES, ItemScore, ScoreSheet, VillageEvaluation

TENTH = Decimal("0.1")


def standing(score: ItemScore) -> Decimal | None:
    """The item's score as it stands: the last level's that scored it."""
    for value in (score.department_score, score.town_score, score.confirmed):
        if value is not None:
            return value
    return None


def own(score: ItemScore) -> Decimal | None:
    """The item's score as the village's own form gave it."""
    return score.confirmed


def town_standing(score: ItemScore) -> Decimal | None:
    """The item's score once the town reviewed it (before any department's)."""
    return score.town_score if score.town_score is not None else score.confirmed


def subtotals(evaluation: VillageEvaluation, of=standing) -> dict[AssetClass, Decimal]:
    """Each sheet's points as scored, by class."""
    totals: dict[AssetClass, Decimal] = {}
    for score in evaluation.scores:
        asset_class = score.item.sheet.asset_class
        totals[asset_class] = totals.get(asset_class, Decimal(0)) + (of(score) or Decimal(0))
    return totals


def sheets_by_class(evaluation: VillageEvaluation) -> dict[AssetClass, ScoreSheet]:
    return {score.item.sheet.asset_class: score.item.sheet for score in evaluation.scores}


def combine(
    totals: dict[AssetClass, Decimal], assets: dict[str, int], weights: dict[AssetClass, Decimal | None]
) -> Decimal:
    """The village's score out of 100 from its sheets' subtotals (each out of 100)."""
    classes = [asset_class for asset_class in EVALUATED_CLASSES if asset_class in totals]
    if not classes:
        return Decimal(0)
    shares = {c: weights.get(c) for c in classes}
    if any(share is None for share in shares.values()):
        shares = {c: Decimal(assets.get(c.value, 0)) for c in classes}
    whole = sum(shares.values(), Decimal(0))
    if not whole:
        shares, whole = {c: Decimal(1) for c in classes}, Decimal(len(classes))
    score = sum((totals[c] * shares[c] for c in classes), Decimal(0)) / whole
    return score.quantize(TENTH, rounding=ROUND_HALF_UP)


def counted_assets(evaluation: VillageEvaluation) -> dict[str, int]:
    """The village's evaluated assets per class as its form counted them (each item's evidence)."""
    return {
        score.item.sheet.asset_class.value: count
        for score in evaluation.scores
        if isinstance(count := score.evidence.get("assets"), int)
    }


def village_score(evaluation: VillageEvaluation, of=standing) -> Decimal:
    """The village's score out of 100; its sheets weighted by the assets the town's review recorded,
    before the review by those its form counted."""
    weights = {c: sheet.weight for c, sheet in sheets_by_class(evaluation).items()}
    return combine(subtotals(evaluation, of), evaluation.class_assets or counted_assets(evaluation), weights)


def weighted_mean(scores: list[tuple[Decimal, int]]) -> Decimal | None:
    """Scores weighted by their counts (a town's villages by their evaluated assets); plain mean
    when no village counts any asset."""
    if not scores:
        return None
    whole = sum(count for _, count in scores)
    if not whole:
        mean = sum((score for score, _ in scores), Decimal(0)) / len(scores)
    else:
        mean = sum((score * count for score, count in scores), Decimal(0)) / whole
    return mean.quantize(TENTH, rounding=ROUND_HALF_UP)


def shown_points(value: Decimal | None) -> str:
    """Points as the audit log keeps them: "11.5", or "" for none."""
    return "" if value is None else str(value)
