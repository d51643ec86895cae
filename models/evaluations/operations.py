"""Yearly evaluation results (考核等次): the score a village gets in its town's review (复核, by
Dec 20) and a town in the district's rating (评定, by Dec 31), and the grade the score gives.

Only the outcome is kept: what the villagers' page shows as last year's grade and what the county
reports. The scoring templates and the self-evaluation that lead to a score are not built yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import require_can_rate
from models.errors import DomainError, Invalid
from models.evaluations.entities import Evaluation, Grade
from models.evaluations.queries import evaluation_of
from models.people import User
from models.regions import Region

ENTITY = "evaluation"


FIRST_YEAR = 2016  # the poverty-alleviation assets this product tracks were built from then on


def grade_for(score: Decimal) -> Grade:
    """docs/domain.md: ≥ 90 好 · 80–89.x 较好 · 70–79.x 一般 · < 70 较差."""
    if score >= 90:
        return Grade.EXCELLENT
    if score >= 80:
        return Grade.GOOD
    return Grade.FAIR if score >= 70 else Grade.POOR


def check_year(year: int, this_year: int) -> None:
    if not FIRST_YEAR <= year <= this_year:
        raise DomainError(f"年度应在{FIRST_YEAR}到{this_year}年之间。")


def parse_score(text: str) -> Decimal:
    """A score as people write it: 0 to 100, at most one decimal (86、86.5)."""
    try:
        score = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise Invalid({"score": "请填写0到100之间的分数，例如 86 或 86.5。"}) from None
    if not score.is_finite() or not 0 <= score <= 100 or score != score.quantize(Decimal("0.1")):
        raise Invalid({"score": "分数应在0到100之间，最多一位小数。"})
    return score.quantize(Decimal("0.1"))


def rate(
    session: Session, actor: User, region: Region, year: int, score_text: str, *, this_year: int, now: dt.datetime
) -> Evaluation:
    """Record (or correct) `region`'s score for `year`, with its grade; audited."""
    require_can_rate(actor, region)
    check_year(year, this_year)
    score = parse_score(score_text)
    evaluation = evaluation_of(session, region.id, year)
    if evaluation is None:
        evaluation = Evaluation(
            region_id=region.id, year=year, score=score, grade=grade_for(score), rated_by_id=actor.id, rated_at=now
        )
        try:
            with session.begin_nested():
                session.add(evaluation)
        except IntegrityError:  # the town and the district recorded it at the same moment: correct theirs
            return rate(session, actor, region, year, score_text, this_year=this_year, now=now)
        audit.record(
            session,
            actor=actor,
            entity_type=ENTITY,
            entity_id=evaluation.id,
            action="rate",
            now=now,
            changes={"单位": region.full_name, "年度": year, "分数": str(score), "等次": evaluation.grade.label},
            first=True,
        )
        return evaluation
    if evaluation.score != score:
        before = (str(evaluation.score), evaluation.grade.label)
        evaluation.score, evaluation.grade = score, grade_for(score)
        evaluation.rated_by_id, evaluation.rated_at = actor.id, now
        audit.record(
            session,
            actor=actor,
            entity_type=ENTITY,
            entity_id=evaluation.id,
            action="correct",
            now=now,
            changes={"分数": [before[0], str(score)], "等次": [before[1], evaluation.grade.label]},
        )
    return evaluation
