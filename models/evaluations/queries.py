"""Reading yearly evaluation results."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.evaluations.entities import Evaluation


def evaluation_of(session: Session, region_id: int, year: int) -> Evaluation | None:
    return session.scalar(select(Evaluation).where(Evaluation.region_id == region_id, Evaluation.year == year))


def evaluations_in(session: Session, region_ids: list[int], year: int) -> dict[int, Evaluation]:
    rows = session.scalars(select(Evaluation).where(Evaluation.region_id.in_(region_ids), Evaluation.year == year))
    return {evaluation.region_id: evaluation for evaluation in rows}
