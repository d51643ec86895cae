"""The clerk's form: a village's self-check (自查) or self-evaluation (自评), item by item, starting
from the proposed scores, then sent to the two supervisors to sign.

A score that differs from the proposal needs a reason (reviewers read it); an item whose actual
value falls short of its target (or, without a target, short of its points) needs 偏差原因及改进措施
before the form goes to be signed. Nothing is half-written: one bad
field refuses the whole save. Every change is in the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import require_village_clerk
from models.errors import DomainError, Invalid
from models.evaluations.entities import MAX_REASON, ItemScore, Stage, Status, VillageEvaluation
from models.evaluations.proposals import propose
from models.evaluations.queries import village_evaluation
from models.evaluations.results import parse_score
from models.evaluations.scoring import own, village_score
from models.people import User
from models.regions import Region

ENTITY = "evaluation"


class Locked(DomainError):
    """The evaluation is past the clerk's hands (signing, on notice, reported …)."""

    status = 409


@dataclass(frozen=True)
class ScoreEntry:
    score: str = ""
    reason: str = ""
    shortfall: str = ""


def open_evaluation(
    session: Session, actor: User, village: Region, year: int, stage: Stage, *, now: dt.datetime, timezone: str
) -> VillageEvaluation:
    """The village's evaluation for `year` and `stage`, begun from the proposed scores if new."""
    require_village_clerk(actor, village)
    evaluation = village_evaluation(session, village.id, year, stage)
    if evaluation is not None:
        return evaluation
    evaluation = VillageEvaluation(
        district_id=village.own_district_id,
        town_id=village.parent_id,
        village_id=village.id,
        year=year,
        stage=stage,
        status=Status.DRAFT,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(evaluation)
            session.flush()
    except IntegrityError:  # opened at the same moment from another phone
        return village_evaluation(session, village.id, year, stage)
    refresh_proposals(session, evaluation, now=now, timezone=timezone)
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=evaluation.id,
        action="open",
        now=now,
        changes={"村": village.full_name, "年度": year, "类型": stage.label},
        first=True,
    )
    return evaluation


def refresh_proposals(session: Session, evaluation: VillageEvaluation, *, now: dt.datetime, timezone: str) -> None:
    """Propose again from today's records (an editable form only); the clerk's scores stay."""
    if not evaluation.editable:
        return
    proposals = propose(session, evaluation.village, evaluation.year, evaluation.stage, now, timezone)
    existing = {score.item_id: score for score in evaluation.scores}
    for sheet in proposals:
        for item, proposal in sheet.items:
            score = existing.get(item.id)
            if score is None:
                score = ItemScore(item_id=item.id, item=item)
                evaluation.scores.append(score)
            score.proposed, score.rule = proposal.score, proposal.rule[:200]
            score.evidence = {
                "assets": sheet.assets,
                "short": proposal.short,
                "actual": None if proposal.actual is None else str(proposal.actual),
                "target": None if proposal.target is None else str(proposal.target),
                "items": [evidence.as_json() for evidence in proposal.evidence],
            }
    session.flush()


def save_scores(
    session: Session, actor: User, evaluation: VillageEvaluation, entries: dict[int, ScoreEntry], now: dt.datetime
) -> int:
    """Record the clerk's scores, reasons and 偏差原因及改进措施 (by item score id); how many changed."""
    require_village_clerk(actor, evaluation.village)
    require_editable(evaluation)
    errors: dict[str, str] = {}
    wanted: list[tuple[ItemScore, Decimal | None, str | None, str | None]] = []
    for score in evaluation.scores:
        entry = entries.get(score.id)
        if entry is None:
            continue
        number = item_number(score)
        value = None
        if entry.score.strip():
            try:
                value = parse_score(entry.score, score.item.points, field=f"score-{score.id}")
            except Invalid as invalid:
                errors.update({key: f"{number}：{text}" for key, text in invalid.fields.items()})
        reason, shortfall = entry.reason.strip() or None, entry.shortfall.strip() or None
        for field, text in ((f"reason-{score.id}", reason), (f"shortfall-{score.id}", shortfall)):
            if text is not None and (len(text) > MAX_REASON or not text.isprintable()):
                errors[field] = f"{number}：说明最多{MAX_REASON}字，不能含控制字符。"
        if value is not None and score.proposed is not None and value != score.proposed and reason is None:
            errors[f"reason-{score.id}"] = f"{number}：得分与系统建议分（{score.proposed}分）不同，请说明修改理由。"
        wanted.append((score, value, reason, shortfall))
    if errors:
        raise Invalid(errors)
    changes = {}
    for score, value, reason, shortfall in wanted:
        before = (score.confirmed, score.change_reason, score.shortfall)
        reason = reason if value is not None and value != score.proposed else None
        if before == (value, reason, shortfall):
            continue
        score.confirmed, score.change_reason, score.shortfall = value, reason, shortfall
        changes[item_number(score)] = {
            "得分": [_text(before[0]), _text(value)],
            "修改理由": reason,
            "偏差原因及改进措施": shortfall,
        }
    if changes:
        evaluation.updated_at = now
        audit.record(
            session, actor=actor, entity_type=ENTITY, entity_id=evaluation.id, action="score", now=now, changes=changes
        )
    return len(changes)


def problems_before_signing(evaluation: VillageEvaluation) -> dict[str, str]:
    """What the clerk must still do before the form can go to be signed."""
    problems = {}
    if not evaluation.scores:
        problems["scores"] = "本村没有纳入评价的资产，自评表没有可评分的项目。"
    for score in evaluation.scores:
        if score.confirmed is None:
            problems[f"score-{score.id}"] = f"{item_number(score)}：还没有评分。"
        elif (why := shortfall_of(score, score.confirmed)) and not score.shortfall:
            problems[f"shortfall-{score.id}"] = f"{item_number(score)}：{why}，请填写偏差原因及改进措施。"
    return problems


def shortfall_of(score: ItemScore, confirmed: Decimal) -> str | None:
    """Why the item needs 偏差原因及改进措施, if it does: where its rule measures against a target,
    the actual value short of it or a score below the proposal; elsewhere any score below full points."""
    target = score.evidence.get("target")
    if target is None:
        return "未得满分" if confirmed < score.item.points else None
    if score.evidence.get("actual") is not None and Decimal(score.evidence["actual"]) < Decimal(target):
        return "未达到绩效目标"
    if score.proposed is not None and confirmed < score.proposed:
        return "得分低于系统建议分"
    return None


def submit(session: Session, actor: User, evaluation: VillageEvaluation, now: dt.datetime) -> None:
    """Send the completed form to the two supervisors to sign."""
    require_village_clerk(actor, evaluation.village)
    require_editable(evaluation)
    problems = problems_before_signing(evaluation)
    if problems:
        raise Invalid(problems)
    evaluation.self_score = village_score(evaluation, own)
    evaluation.status, evaluation.submitted_at, evaluation.updated_at = Status.SIGNING, now, now
    evaluation.sent_back_reason = None
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=evaluation.id,
        action="submit",
        now=now,
        changes={"自评得分": str(evaluation.self_score)},
    )


def require_editable(evaluation: VillageEvaluation) -> None:
    if not evaluation.editable:
        raise Locked(f"自评表{evaluation.status.label}，不能修改；如需修改，请先重新打开并说明理由。")


def item_number(score: ItemScore) -> str:
    return f"{score.item.sheet.asset_class.label}第{score.item.position}项"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
