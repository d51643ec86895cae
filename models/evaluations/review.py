"""The town's review (复核, by Dec 20): an official of the town goes through each village's
reported year-end self-evaluation item by item — accepts the village's score, or adjusts it with
a reason — which gives the village's score and grade. Once every village of the town is reviewed,
the town's deadline task closes. Until the district rates the town the review may be redone;
after that only the district's reopening opens it again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import CompoundSelect, select, union
from sqlalchemy.orm import Session

from models import audit
from models.access import require_report_reader, require_town_reviewer
from models.assets.entities import Asset
from models.deadlines.operations import close_deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import EVALUATED_CLASSES, MAX_REASON, ItemScore, Stage, Status, VillageEvaluation
from models.evaluations.evidence import Period, evaluated_assets
from models.evaluations.results import ENTITY, parse_score
from models.evaluations.scoring import shown_points, town_standing, village_score
from models.evaluations.sheets import ensure_bands, grade_for
from models.people import User
from models.regions import Region, RegionLevel

REVIEWABLE = (Status.REPORTED, Status.REVIEWED)
DONE = (Status.REVIEWED, Status.RATED)


@dataclass(frozen=True)
class Answer:
    """The town's word on one item: its score as typed (blank: the village's own) and why."""

    score: str = ""
    reason: str = ""


def town_task_key(town_id: int, year: int) -> str:
    return f"town_review:{year}:r{town_id}"


def town_villages(session: Session, actor: User, year: int) -> list[tuple[Region, VillageEvaluation | None]]:
    """The villages of the official's town, each with its year-end evaluation for `year` if any."""
    if not actor.active or actor.role.region_level is not RegionLevel.TOWN:
        raise Forbidden("只有乡镇工作专班可以复核本镇各村的年终自评。")
    villages = session.scalars(
        select(Region)
        .where(Region.parent_id == actor.region_id, Region.level == RegionLevel.VILLAGE)
        .order_by(Region.id)
    ).all()
    evaluations = {
        evaluation.village_id: evaluation
        for evaluation in session.scalars(
            select(VillageEvaluation).where(
                VillageEvaluation.town_id == actor.region_id,
                VillageEvaluation.year == year,
                VillageEvaluation.stage == Stage.SELF_EVALUATION,
            )
        )
    }
    return [(village, evaluations.get(village.id)) for village in villages]


def get_for_review(session: Session, actor: User, evaluation_id: int) -> VillageEvaluation:
    """A year-end evaluation of one of the official's villages; anything else is not found."""
    evaluation = session.get(VillageEvaluation, evaluation_id)
    if evaluation is None or evaluation.stage is not Stage.SELF_EVALUATION:
        raise NotFound()
    require_town_reviewer(actor, evaluation.village)
    return evaluation


def get_reviewed(session: Session, actor: User, evaluation_id: int) -> VillageEvaluation:
    """A year-end evaluation the actor may read with its review (the village's staff, its town,
    the district); anything else is not found."""
    evaluation = session.get(VillageEvaluation, evaluation_id)
    if evaluation is None or evaluation.stage is not Stage.SELF_EVALUATION:
        raise NotFound()
    require_report_reader(actor, evaluation.village)
    return evaluation


def review(
    session: Session,
    actor: User,
    evaluation: VillageEvaluation,
    answers: dict[int, Answer],
    *,
    timezone: str,
    now: dt.datetime,
) -> VillageEvaluation:
    """Record the town's review of every item (`answers` by item score id; an item left out is
    accepted), then the village's score and grade; audited. Nothing is written if any answer is
    wrong."""
    require_town_reviewer(actor, evaluation.village)
    if evaluation.status is Status.RATED:
        raise Forbidden("区级已评定本镇等次，复核结果不能再改；如需更正，请区乡村振兴局说明理由后重新开启。")
    if evaluation.status not in REVIEWABLE:
        raise Forbidden(f"这份自评{evaluation.status.label}，村里报镇后才能复核。")
    decided = _decide(evaluation.scores, answers)
    changed = []
    for score, (value, reason) in zip(evaluation.scores, decided, strict=True):
        if value != score.confirmed or score.town_reason:  # adjusted now, or before
            changed.append(
                {
                    "项目": score.item.text,
                    "村自评": shown_points(score.confirmed),
                    "镇复核": str(value),
                    "理由": reason or "",
                }
            )
        score.town_score, score.town_reason = value, reason
    evaluation.class_assets = _class_assets(session, evaluation, timezone, now)
    before = (shown_points(evaluation.score), evaluation.grade.label if evaluation.grade else "")
    district = session.get_one(Region, evaluation.district_id)
    evaluation.score = village_score(evaluation, town_standing)
    evaluation.grade = grade_for(evaluation.score, ensure_bands(session, district, evaluation.year))
    first = evaluation.status is Status.REPORTED
    evaluation.status, evaluation.rated_by_id, evaluation.rated_at, evaluation.updated_at = (
        Status.REVIEWED,
        actor.id,
        now,
        now,
    )
    session.flush()
    changes = {
        "单位": evaluation.village.full_name,
        "年度": evaluation.year,
        "分数": str(evaluation.score) if first else [before[0], str(evaluation.score)],
        "等次": evaluation.grade.label if first else [before[1], evaluation.grade.label],
        "调整": changed,
    }
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=evaluation.id,
        action="review" if first else "review_again",
        changes=changes,
        now=now,
    )
    if town_reviewed(session, evaluation.town_id, evaluation.year):
        key = town_task_key(evaluation.town_id, evaluation.year)
        close_deadline(session, key, f"town_review:{evaluation.year}", now)
    return evaluation


def _class_assets(session: Session, evaluation: VillageEvaluation, timezone: str, now: dt.datetime) -> dict[str, int]:
    """The village's evaluated assets per class: as its form counted them when proposing (each
    item's evidence), else as the records say now."""
    signed = {score.item.sheet.asset_class.value: score.evidence.get("assets") for score in evaluation.scores}
    if signed and all(isinstance(count, int) for count in signed.values()):
        return signed
    period = Period.of(evaluation.year, Stage.SELF_EVALUATION, now, timezone)
    counts = evaluated_assets(session, evaluation.village_id, period)
    return {asset_class.value: len(assets) for asset_class, assets in counts.items()}


def _decide(scores: list[ItemScore], answers: dict[int, Answer]) -> list[tuple[Decimal, str | None]]:
    decided, errors = [], {}
    for score in scores:
        answer = answers.get(score.id, Answer())
        field = f"item-{score.id}"
        try:
            reason = checked_reason(answer.reason, field)
            value = parse_score(answer.score, score.item.points, field) if answer.score.strip() else score.confirmed
        except Invalid as invalid:
            errors.update(invalid.fields)
            continue
        if value is None:
            errors[field] = "村里没有为这一项打分，请填写复核分数。"
        elif value != score.confirmed and not reason:
            errors[field] = "调整分数须说明理由。"
        decided.append((value, reason if value != score.confirmed else None))
    if errors:
        raise Invalid(errors)
    return decided


def villages_taking_part(year: int) -> CompoundSelect:
    """The villages whose year-end evaluation their town reviews: those holding a public-benefit or
    operating asset not disposed of before the year began, and any that began an evaluation anyway
    (a village of household assets alone has nothing to evaluate and holds up nobody)."""
    holding = select(Asset.village_id).where(
        Asset.asset_class.in_(EVALUATED_CLASSES),
        Asset.disposed_on.is_(None) | (Asset.disposed_on >= dt.date(year, 1, 1)),
    )
    begun = select(VillageEvaluation.village_id).where(
        VillageEvaluation.year == year, VillageEvaluation.stage == Stage.SELF_EVALUATION
    )
    return union(holding, begun)


def town_reviewed(session: Session, town_id: int, year: int) -> bool:
    """Every village of the town that takes part has its year-end evaluation reviewed (or rated)."""
    villages = select(Region.id).where(
        Region.parent_id == town_id, Region.level == RegionLevel.VILLAGE, Region.id.in_(villages_taking_part(year))
    )
    done = select(VillageEvaluation.village_id).where(
        VillageEvaluation.town_id == town_id,
        VillageEvaluation.year == year,
        VillageEvaluation.stage == Stage.SELF_EVALUATION,
        VillageEvaluation.status.in_(DONE),
    )
    return session.scalar(select(Region.id).where(Region.id.in_(villages), Region.id.not_in(done)).limit(1)) is None


def checked_reason(reason: str, field: str) -> str:
    """A reason as typed, trimmed; refused when too long."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise Invalid({field: f"理由最多{MAX_REASON}字。"})
    return reason
