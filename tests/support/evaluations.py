"""A village's year-end evaluation as the village leaves it — reported to the town — made directly
from the entities (the village's own steps are tested with the village's side)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from models.assets.entities import AssetClass
from models.evaluations.entities import ItemScore, Stage, Status, VillageEvaluation
from models.evaluations.sheets import ensure_sheets
from models.regions import Region


def reported_evaluation(
    session: Session,
    village: Region,
    year: int,
    now: dt.datetime,
    classes: tuple[AssetClass, ...] = (AssetClass.PUBLIC_BENEFIT,),
    lost: Decimal = Decimal(1),
    assets: dict[AssetClass, int] | None = None,
) -> VillageEvaluation:
    """The village's self-evaluation, reported: every item of the classes' sheets confirmed at its
    points less `lost` (so each sheet totals 100 - 8 × lost), with a little evidence and
    `assets` evaluated assets of each class (3 by default)."""
    district = session.get_one(Region, village.own_district_id)
    sheets = ensure_sheets(session, district, year, now)
    evaluation = VillageEvaluation(
        district_id=district.id,
        town_id=village.parent_id,
        village_id=village.id,
        year=year,
        stage=Stage.SELF_EVALUATION,
        status=Status.REPORTED,
        created_at=now,
        updated_at=now,
        submitted_at=now,
        reported_at=now,
    )
    evaluation.scores = [
        ItemScore(
            item=item,
            proposed=item.points - lost,
            rule="按记录测算",
            evidence={
                "assets": (assets or {}).get(asset_class, 3),
                "items": [{"label": "纳入评价的资产", "count": 3, "kind": "asset", "ids": []}],
            },
            confirmed=item.points - lost,
        )
        for asset_class in classes
        for item in sheets[asset_class].items
    ]
    session.add(evaluation)
    session.flush()
    village_total = sum((s.confirmed for s in evaluation.scores), Decimal(0)) / len(classes)
    evaluation.self_score = village_total.quantize(Decimal("0.1"))
    session.flush()
    return evaluation
