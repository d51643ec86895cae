"""The district's rating (评定, by Dec 31). The industry departments score the items of their
trades (an item's `department_id`) in the villages they oversee; the district office then rates
each town out of 100 — proposed as its villages' scores weighted by their evaluated assets, changed
only with a reason — which fixes the town's grade and its villages'. Once every town is rated the
district's deadline task closes. Nothing changes after the rating except by reopening it with a
reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import audit
from models.access import asset_scope, require_district_rater, require_trade_scorer
from models.assets.entities import Asset, AssetClass
from models.deadlines.entities import Deadline
from models.deadlines.operations import close_deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import (
    Grade,
    ItemScore,
    ScoreSheet,
    SheetItem,
    Stage,
    Status,
    TownResult,
    VillageEvaluation,
)
from models.evaluations.results import ENTITY, TOWN_ENTITY, parse_score
from models.evaluations.review import DONE, checked_reason, villages_taking_part
from models.evaluations.scoring import shown_points, town_standing, village_score, weighted_mean
from models.evaluations.sheets import ensure_bands, ensure_sheets, grade_for
from models.people import Department, Role, User
from models.regions import Region, RegionLevel


def district_task_key(district_id: int, year: int) -> str:
    return f"town_rating:{year}:r{district_id}"


@dataclass(frozen=True)
class VillageLine:
    village_id: int
    status: Status
    score: Decimal | None
    grade: Grade | None
    assets: int


@dataclass
class TownLine:
    """One row of the district table."""

    town: Region
    villages: int
    lines: list[VillageLine]
    result: TownResult | None

    @property
    def reviewed(self) -> int:
        return sum(1 for line in self.lines if line.status in DONE)

    @property
    def ready(self) -> bool:
        """Every village taking part has its year-end evaluation reviewed by the town."""
        return self.villages > 0 and self.reviewed == self.villages

    @property
    def proposed(self) -> Decimal | None:
        scored = [(line.score, line.assets) for line in self.lines if line.status in DONE and line.score is not None]
        return weighted_mean(scored)

    @property
    def assets(self) -> int:
        return sum(line.assets for line in self.lines)


def district_table(session: Session, district: Region, year: int) -> list[TownLine]:
    """Every town of the district with its villages' review and its rating, in three queries."""
    towns = session.scalars(
        select(Region).where(Region.parent_id == district.id, Region.level == RegionLevel.TOWN).order_by(Region.id)
    ).all()
    villages: dict[int, int] = {}
    for town_id in session.scalars(
        select(Region.parent_id).where(
            Region.district_id == district.id,
            Region.level == RegionLevel.VILLAGE,
            Region.id.in_(villages_taking_part(year)),
        )
    ):
        villages[town_id] = villages.get(town_id, 0) + 1
    lines: dict[int, list[VillageLine]] = {}
    rows = session.execute(
        select(
            VillageEvaluation.town_id,
            VillageEvaluation.village_id,
            VillageEvaluation.status,
            VillageEvaluation.score,
            VillageEvaluation.grade,
            VillageEvaluation.class_assets,
        ).where(
            VillageEvaluation.district_id == district.id,
            VillageEvaluation.year == year,
            VillageEvaluation.stage == Stage.SELF_EVALUATION,
        )
    )
    for town_id, village_id, status, score, grade, assets in rows:
        line = VillageLine(village_id, status, score, grade, sum((assets or {}).values()))
        lines.setdefault(town_id, []).append(line)
    results = {
        result.town_id: result
        for result in session.scalars(
            select(TownResult).where(TownResult.district_id == district.id, TownResult.year == year)
        )
    }
    return [TownLine(town, villages.get(town.id, 0), lines.get(town.id, []), results.get(town.id)) for town in towns]


def town_line(session: Session, town: Region, year: int) -> TownLine:
    district = session.get_one(Region, town.own_district_id)
    return next(line for line in district_table(session, district, year) if line.town.id == town.id)


def rate_town(
    session: Session, actor: User, town: Region, year: int, score_text: str, reason: str, *, now: dt.datetime
) -> TownResult:
    """Fix the town's score and grade for `year` (blank: the proposal) and its villages' grades."""
    require_district_rater(actor, town)
    if town.level is not RegionLevel.TOWN:
        raise NotFound()
    line = town_line(session, town, year)
    if line.result is not None and line.result.rated_by_id is not None and _rated(line):
        raise Forbidden("本镇已评定；如需更正，请先说明理由重新开启评定。")
    if not line.ready:
        raise Forbidden(f"本镇{line.villages}个村中已复核{line.reviewed}个，全部复核后才能评定。")
    proposed = line.proposed
    reason = checked_reason(reason, "reason")
    score = parse_score(score_text, field="score") if score_text.strip() else proposed
    if score is None:
        raise Invalid({"score": "请填写本镇得分。"})
    if score != proposed and not reason:
        raise Invalid({"reason": f"得分与按各村得分加权的建议分{proposed}不同，须说明理由。"})
    district = session.get_one(Region, town.own_district_id)
    bands = ensure_bands(session, district, year)
    result = line.result or TownResult(district_id=district.id, town_id=town.id, year=year)
    result.score, result.grade, result.proposed = score, grade_for(score, bands), proposed
    result.reason, result.rated_by_id, result.rated_at = (reason or None) if score != proposed else None, actor.id, now
    session.add(result)
    _move_villages(session, town, year, Status.REVIEWED, Status.RATED, now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=TOWN_ENTITY,
        entity_id=result.id,
        action="rate",
        changes={
            "单位": town.full_name,
            "年度": year,
            "建议分": str(proposed),
            "分数": str(score),
            "等次": result.grade.label,
            "理由": result.reason or "",
        },
        now=now,
    )
    if all(_rated(other) for other in district_table(session, district, year) if other.villages):
        close_deadline(session, district_task_key(district.id, year), f"town_rating:{year}", now)
    return result


def _move_villages(session: Session, town: Region, year: int, before: Status, after: Status, now: dt.datetime) -> None:
    session.execute(
        update(VillageEvaluation)
        .where(
            VillageEvaluation.town_id == town.id,
            VillageEvaluation.year == year,
            VillageEvaluation.stage == Stage.SELF_EVALUATION,
            VillageEvaluation.status == before,
        )
        .values(status=after, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _rated(line: TownLine) -> bool:
    return line.result is not None and bool(line.lines) and all(v.status is Status.RATED for v in line.lines)


def reopen_town(session: Session, actor: User, town: Region, year: int, reason: str, *, now: dt.datetime) -> None:
    """Open a rated town again (its result removed, its villages back to reviewed, the district's
    task open again), for a reason; audited."""
    require_district_rater(actor, town)
    reason = checked_reason(reason, "reason")
    if not reason:
        raise Invalid({"reason": "重新开启评定须说明理由。"})
    line = town_line(session, town, year)
    if line.result is None:
        raise Forbidden("本镇尚未评定，无需重新开启。")
    before = {"分数": str(line.result.score), "等次": line.result.grade.label}
    session.delete(line.result)
    _move_villages(session, town, year, Status.RATED, Status.REVIEWED, now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=TOWN_ENTITY,
        entity_id=line.result.id,
        action="reopen",
        changes={"单位": town.full_name, "年度": year, "原结果": before, "理由": reason},
        now=now,
    )
    deadline = session.scalar(select(Deadline).where(Deadline.key == district_task_key(town.own_district_id, year)))
    if deadline is not None and deadline.done_at is not None:
        deadline.done_at, deadline.done_by_id, deadline.evidence = None, None, None
        audit.record(
            session,
            actor=actor,
            entity_type="deadline",
            entity_id=deadline.id,
            action="reopen",
            changes={"理由": reason},
            now=now,
        )


# The departments' part: the items of their trades.


def trade_items(session: Session, actor: User, year: int) -> list[SheetItem]:
    """The items of the year's sheets that are the department's trade."""
    if not actor.active or actor.role is not Role.DEPARTMENT:
        raise Forbidden("只有行业主管部门可以为本行业的考评项目打分。")
    return list(
        session.scalars(
            select(SheetItem)
            .join(ScoreSheet)
            .where(
                ScoreSheet.district_id == actor.region_id,
                ScoreSheet.year == year,
                SheetItem.department_id == actor.department_id,
            )
            .order_by(ScoreSheet.asset_class, SheetItem.position)
        )
    )


def trade_scores(session: Session, actor: User, year: int, town: Region) -> list[ItemScore]:
    """The department's items in the reviewed evaluations of `town`'s villages where it oversees
    assets of the item's class."""
    items = trade_items(session, actor, year)
    if town.level is not RegionLevel.TOWN or town.own_district_id != actor.region_id:
        raise NotFound()
    if not items:
        return []
    overseen = select(Asset.village_id).where(asset_scope(actor), Asset.town_id == town.id)
    return list(
        session.scalars(
            select(ItemScore)
            .join(VillageEvaluation)
            .join(SheetItem, SheetItem.id == ItemScore.item_id)
            .join(ScoreSheet, ScoreSheet.id == SheetItem.sheet_id)
            .where(
                VillageEvaluation.town_id == town.id,
                VillageEvaluation.year == year,
                VillageEvaluation.stage == Stage.SELF_EVALUATION,
                VillageEvaluation.status.in_(DONE),
                ItemScore.item_id.in_([item.id for item in items]),
                VillageEvaluation.village_id.in_(
                    overseen.where(Asset.asset_class == ScoreSheet.asset_class).correlate(ScoreSheet)
                ),
            )
            .order_by(VillageEvaluation.village_id, SheetItem.position)
        )
    )


def score_trade_item(
    session: Session, actor: User, score_id: int, score_text: str, reason: str, *, now: dt.datetime
) -> ItemScore:
    """The department's score of one item of its trade in one village (blank: the town's stands);
    the village's score and grade follow; audited."""
    score = session.get(ItemScore, score_id)
    if score is None:
        raise NotFound()
    evaluation = score.evaluation
    require_trade_scorer(actor, evaluation.village, score.item.department_id)
    if score not in trade_scores(session, actor, evaluation.year, evaluation.village.parent):
        raise NotFound()
    if evaluation.status is not Status.REVIEWED:
        raise Forbidden("本镇已评定，不能再改；如需更正，请区乡村振兴局说明理由后重新开启。")
    reason = checked_reason(reason, "reason")
    value = parse_score(score_text, score.item.points, "score") if score_text.strip() else None
    if value is not None and value != town_standing(score) and not reason:
        raise Invalid({"score": "与镇复核分数不同，须说明理由。"})
    before = (score.department_score, evaluation.score)
    score.department_score = value
    score.department_reason = reason or None if value is not None else None
    district = session.get_one(Region, evaluation.district_id)
    evaluation.score = village_score(evaluation)
    evaluation.grade = grade_for(evaluation.score, ensure_bands(session, district, evaluation.year))
    evaluation.updated_at = now
    session.flush()
    department = session.get_one(Department, actor.department_id)
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=evaluation.id,
        action="department_score",
        changes={
            "部门": department.name,
            "项目": score.item.text,
            "部门评分": [shown_points(before[0]), shown_points(value)],
            "理由": score.department_reason or "",
            "村得分": [shown_points(before[1]), str(evaluation.score)],
        },
        now=now,
    )
    return score


def assign_trade(
    session: Session, actor: User, item_id: int, department_id: int | None, *, now: dt.datetime
) -> SheetItem:
    """The district office names the department whose trade an item is (None: its own); audited."""
    item = session.get(SheetItem, item_id)
    if item is None:
        raise NotFound()
    district = session.get_one(Region, item.sheet.district_id)
    require_district_rater(actor, district)
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None or department.district_id != district.id:
            raise Invalid({f"item-{item_id}": "请选择本区的行业主管部门。"})
    before = item.department_id
    if before == department_id:
        return item
    item.department_id = department_id
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="score_sheet_item",
        entity_id=item.id,
        action="assign_trade",
        changes={"项目": item.text, "部门": [before, department_id]},
        now=now,
    )
    return item


def set_weights(
    session: Session, actor: User, district: Region, year: int, typed: dict[AssetClass, str], *, now: dt.datetime
) -> None:
    """The sheets' shares of a village's score when it is scored on both (e.g. 60 and 40, summing
    to 100), or none: weighted by each village's evaluated assets (the default); audited."""
    require_district_rater(actor, district)
    sheets = ensure_sheets(session, district, year, now)
    if all(not text.strip() for text in typed.values()):
        weights = dict.fromkeys(sheets)
    else:
        weights, errors = {}, {}
        for asset_class in sheets:
            try:
                weights[asset_class] = parse_score(typed.get(asset_class, ""), field=f"weight-{asset_class.value}")
            except Invalid as invalid:
                errors.update(invalid.fields)
        if not errors and sum(weights.values()) != 100:
            errors["weights"] = "两张考评表的权重合计须为100；都不填则按各村纳入评价的资产数加权。"
        if errors:
            raise Invalid(errors)
    before = {c.label: shown_points(sheet.weight) for c, sheet in sheets.items()}
    for asset_class, sheet in sheets.items():
        sheet.weight = weights[asset_class]
    after = {c.label: shown_points(sheet.weight) for c, sheet in sheets.items()}
    if before != after:
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity_type="score_sheets",
            entity_id=district.id,
            action="weights",
            changes={"年度": year, "权重": [before, after]},
            now=now,
        )


@dataclass(frozen=True)
class Honours:
    """The 通报's lists: the towns and villages graded 好, and those graded 较差."""

    excellent: list[tuple[Region, Decimal]]
    poor: list[tuple[Region, Decimal]]


def honours(session: Session, district: Region, year: int) -> Honours:
    lists: dict[Grade, list[tuple[Region, Decimal]]] = {Grade.EXCELLENT: [], Grade.POOR: []}
    towns = session.execute(
        select(Region, TownResult.score, TownResult.grade)
        .join(TownResult, TownResult.town_id == Region.id)
        .where(TownResult.district_id == district.id, TownResult.year == year, TownResult.grade.in_(list(lists)))
        .order_by(TownResult.score.desc(), Region.id)
    )
    villages = session.execute(
        select(Region, VillageEvaluation.score, VillageEvaluation.grade)
        .join(VillageEvaluation, VillageEvaluation.village_id == Region.id)
        .where(
            VillageEvaluation.district_id == district.id,
            VillageEvaluation.year == year,
            VillageEvaluation.stage == Stage.SELF_EVALUATION,
            VillageEvaluation.status == Status.RATED,
            VillageEvaluation.grade.in_(list(lists)),
        )
        .order_by(VillageEvaluation.score.desc(), Region.id)
    )
    for region, score, grade in [*towns, *villages]:
        lists[grade].append((region, score))
    return Honours(lists[Grade.EXCELLENT], lists[Grade.POOR])
