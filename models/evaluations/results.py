"""Yearly results (考核等次): a village's score from its town's review (复核, by Dec 20), a town's
from the district's rating (评定, by Dec 31), and the grade each score gives by the district's bands.

Here a score is recorded directly (年度考核 in the back office); the review and the rating item by
item build on the same rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import require_can_rate
from models.errors import DomainError, Forbidden, Invalid
from models.evaluations.entities import Stage, Status, TownResult, VillageEvaluation
from models.evaluations.queries import result_of
from models.evaluations.sheets import ensure_bands, grade_for
from models.people import User
from models.regions import Region, RegionLevel

ENTITY = "evaluation"
TOWN_ENTITY = "town_result"


FIRST_YEAR = 2016  # the poverty-alleviation assets this product tracks were built from then on


def check_year(year: int, this_year: int) -> None:
    if not FIRST_YEAR <= year <= this_year:
        raise DomainError(f"年度应在{FIRST_YEAR}到{this_year}年之间。")


def parse_score(text: str, maximum: Decimal = Decimal(100), field: str = "score") -> Decimal:
    """A score as people write it: 0 to `maximum`, at most one decimal (86、86.5)."""
    try:
        score = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise Invalid({field: f"请填写0到{maximum:g}之间的分数，例如 8 或 8.5。"}) from None
    if not score.is_finite() or not 0 <= score <= maximum or score != score.quantize(Decimal("0.1")):
        raise Invalid({field: f"分数应在0到{maximum:g}之间，最多一位小数。"})
    return score.quantize(Decimal("0.1"))


def rate(
    session: Session, actor: User, region: Region, year: int, score_text: str, *, this_year: int, now: dt.datetime
) -> VillageEvaluation | TownResult:
    """Record (or correct) `region`'s score for `year`, with its grade; audited."""
    require_can_rate(actor, region)
    check_year(year, this_year)
    require_typed_result(result_of(session, region, year))
    score = parse_score(score_text)
    district = session.get_one(Region, region.own_district_id)
    grade = grade_for(score, ensure_bands(session, district, year))
    result = result_of(session, region, year)
    if result is None or result.score is None:
        try:
            with session.begin_nested():
                result = _new_result(session, region, year, result, now)
                result.score, result.grade, result.rated_by_id, result.rated_at = score, grade, actor.id, now
                session.flush()
        except IntegrityError:  # the town and the district recorded it at the same moment: correct theirs
            return rate(session, actor, region, year, score_text, this_year=this_year, now=now)
        changes = {"单位": region.full_name, "年度": year, "分数": str(score), "等次": grade.label}
        _audit(session, actor, result, "rate", changes, now)
        return result
    if result.score != score:
        before = (str(result.score), result.grade.label)
        result.score, result.grade, result.rated_by_id, result.rated_at = score, grade, actor.id, now
        changes = {"分数": [before[0], str(score)], "等次": [before[1], grade.label]}
        _audit(session, actor, result, "correct", changes, now)
    return result


def require_typed_result(result: VillageEvaluation | TownResult | None) -> None:
    """A result reached through the review and the rating item by item changes only there (and,
    once rated, only after the district reopens it), never by typing a score here."""
    if isinstance(result, TownResult) and result.proposed is not None:
        raise Forbidden("这个镇本年度已按各村复核结果评定；如需更正，请在「评定各乡镇」说明理由后重新开启。")
    if isinstance(result, VillageEvaluation) and result.scores:
        raise Forbidden("这个村本年度的自评按项目复核，请在「复核各村自评」中修改。")


def _new_result(
    session: Session, region: Region, year: int, evaluation: VillageEvaluation | TownResult | None, now: dt.datetime
) -> VillageEvaluation | TownResult:
    if region.level is RegionLevel.TOWN:
        result = TownResult(district_id=region.own_district_id, town_id=region.id, year=year)
        session.add(result)
        return result
    if evaluation is None:
        evaluation = VillageEvaluation(
            district_id=region.own_district_id,
            town_id=region.parent_id,
            village_id=region.id,
            year=year,
            stage=Stage.SELF_EVALUATION,
            status=Status.REVIEWED,
            created_at=now,
            updated_at=now,
        )
        session.add(evaluation)
    return evaluation


def _audit(session: Session, actor: User, result, action: str, changes: dict, now: dt.datetime) -> None:
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=TOWN_ENTITY if isinstance(result, TownResult) else ENTITY,
        entity_id=result.id,
        action=action,
        now=now,
        changes=changes,
    )
