"""Reading village evaluations as people see them: a year's stage across the villages one works
over, and one evaluation, within the reader's scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import asset_scope, evaluation_scope, visible_villages
from models.assets.entities import Asset
from models.complaints.entities import Complaint
from models.complaints.queries import visible_complaints
from models.errors import NotFound
from models.evaluations.entities import Signature, Stage, Status, VillageEvaluation
from models.maintenance.entities import MaintenanceRecord
from models.maintenance.queries import visible_records
from models.people import Role, User
from models.regions import Region


def get_visible_evaluation(session: Session, actor: User, evaluation_id: int) -> VillageEvaluation:
    evaluation = session.scalar(
        select(VillageEvaluation).where(VillageEvaluation.id == evaluation_id, evaluation_scope(actor))
    )
    if evaluation is None:
        raise NotFound()
    return evaluation


def stage_overview(
    session: Session, actor: User, year: int, stage: Stage
) -> list[tuple[Region, VillageEvaluation | None]]:
    """Every village the actor works over, with its evaluation for `year` and `stage` if begun."""
    if actor.role is Role.CUSTODIAN or not actor.active:
        return []
    villages = visible_villages(session, actor)
    found = session.scalars(
        select(VillageEvaluation).where(
            evaluation_scope(actor), VillageEvaluation.year == year, VillageEvaluation.stage == stage
        )
    )
    by_village = {evaluation.village_id: evaluation for evaluation in found}
    return [(village, by_village.get(village.id)) for village in villages]


def awaiting_signature(session: Session, actor: User) -> list[VillageEvaluation]:
    """Evaluations of the actor's village waiting for the signature of the post they hold."""
    if not actor.active or actor.role is not Role.VILLAGE_SUPERVISOR or actor.village_post is None:
        return []
    signed = select(Signature.evaluation_id).where(Signature.post == actor.village_post, Signature.voided_at.is_(None))
    query = select(VillageEvaluation).where(
        VillageEvaluation.village_id == actor.region_id,
        VillageEvaluation.status == Status.SIGNING,
        VillageEvaluation.id.not_in(signed),
    )
    return list(session.scalars(query.order_by(VillageEvaluation.year, VillageEvaluation.id)))


def openable_evidence(session: Session, actor: User, evaluation: VillageEvaluation) -> set[tuple[str, int]]:
    """The records behind the evaluation's evidence that the actor may open ((kind, id) pairs): all
    of them for the village's staff and those above, only their trades' for a department."""
    wanted: dict[str, set[int]] = {"asset": set(), "record": set(), "complaint": set()}
    for score in evaluation.scores:
        for evidence in score.evidence.get("items", ()):
            wanted.setdefault(evidence["kind"], set()).update(evidence["ids"])
    queries = {
        "asset": select(Asset.id).where(asset_scope(actor), Asset.id.in_(wanted["asset"])),
        "record": visible_records(actor)
        .with_only_columns(MaintenanceRecord.id)
        .where(MaintenanceRecord.id.in_(wanted["record"])),
        "complaint": visible_complaints(actor)
        .with_only_columns(Complaint.id)
        .where(Complaint.id.in_(wanted["complaint"])),
    }
    return {(kind, found) for kind, query in queries.items() if wanted[kind] for found in session.scalars(query)}
