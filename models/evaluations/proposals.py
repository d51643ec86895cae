"""A village's proposed scores: every item of its district's sheets, for each class of assets it
has in the evaluation, through the item's evidence rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assets.entities import AssetClass
from models.evaluations.entities import EVALUATED_CLASSES, ScoreSheet, SheetItem, Stage, VillageTarget
from models.evaluations.evidence import Period, VillageRecords, village_records
from models.evaluations.rules import Context, Proposal, apply
from models.evaluations.sheets import ensure_sheets
from models.regions import Region


@dataclass(frozen=True)
class SheetProposal:
    sheet: ScoreSheet
    items: list[tuple[SheetItem, Proposal]]
    assets: int  # how many of the village's assets the sheet scores

    @property
    def asset_class(self) -> AssetClass:
        return self.sheet.asset_class


def targets_of(session: Session, village_id: int, year: int) -> dict[str, Any]:
    target = session.scalar(
        select(VillageTarget).where(VillageTarget.village_id == village_id, VillageTarget.year == year)
    )
    return dict(target.values) if target is not None else {}


def propose(
    session: Session, village: Region, year: int, stage: Stage, now: dt.datetime, timezone: str
) -> list[SheetProposal]:
    """The proposals of every sheet the village is scored on (one per class of its evaluated assets)."""
    district = session.get_one(Region, village.own_district_id)
    sheets = ensure_sheets(session, district, year, now)
    records = village_records(session, village.id, Period.of(year, stage, now, timezone))
    return proposals_for(sheets, records, targets_of(session, village.id, year))


def proposals_for(
    sheets: dict[AssetClass, ScoreSheet], records: VillageRecords, targets: dict[str, Any]
) -> list[SheetProposal]:
    result = []
    for asset_class in EVALUATED_CLASSES:
        sheet = sheets[asset_class]
        if not records.of_class(asset_class):
            continue
        items = [
            (item, apply(item.rule, Context(records, asset_class, item.points, item.parameters, targets)))
            for item in sheet.items
        ]
        result.append(SheetProposal(sheet, items, len(records.of_class(asset_class))))
    return result


def as_json(village: Region, year: int, proposals: list[SheetProposal]) -> dict[str, Any]:
    """The shape `guanhu evaluation propose` prints."""
    return {
        "village": village.full_name,
        "year": year,
        "sheets": [
            {
                "asset_class": sheet.asset_class.value,
                "items": [
                    {
                        "text": item.text,
                        "points": float(item.points),
                        "proposed": None if proposal.score is None else float(proposal.score),
                        "rule": proposal.rule,
                        "evidence": [evidence.as_json() for evidence in proposal.evidence],
                    }
                    for item, proposal in sheet.items
                ],
            }
            for sheet in proposals
        ],
    }
