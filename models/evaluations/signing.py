"""Sign-off (seed 000 五(二)、(三)): the village's 村务监督委员会主任 and 合作社监事会主任 — two
different people — each sign the exact snapshot of the form, or send it back with a reason.

When both have signed, a self-check is filed with the town; a self-evaluation goes on public notice
(公示) for the district's notice period, and is reported to the town when the notice passes (an
objection upheld sends it back to the village). Nothing changes after a signature except by
reopening with a reason: the signatures are voided, the notice withdrawn, the deadline reopened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import region_in_scope, require_signer
from models.assets.entities import Asset
from models.complaints.entities import Rating
from models.deadlines.entities import Deadline
from models.deadlines.operations import close_deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import MAX_REASON, CareRating, Signature, Stage, Status, VillageEvaluation
from models.evaluations.form import ENTITY, Locked, item_number
from models.notices.entities import OPEN_OUTCOMES, NoticeOutcome, PublicNotice
from models.notices.operations import open_notice, withdraw_notice
from models.notices.outcomes import on_notice_decided
from models.notices.queries import notice_for
from models.people import Role, User, VillagePost

NOTICE_KIND = "evaluation"
DEADLINE_KINDS = {Stage.SELF_CHECK: "midyear_self_check", Stage.SELF_EVALUATION: "village_self_evaluation"}
REOPENERS = (Role.VILLAGE_CLERK, Role.TOWN_OFFICIAL, Role.DISTRICT_ADMIN)
REOPENABLE = (Status.SIGNING, Status.ON_NOTICE, Status.REPORTED)
UPHELD_REASON = "公示期间群众异议成立，请核实修改后重新提交签字。"


def snapshot(evaluation: VillageEvaluation) -> dict[str, Any]:
    """Exactly what is signed: the items, scores, reasons and evidence counts."""
    return {
        "village": evaluation.village.full_name,
        "year": evaluation.year,
        "stage": evaluation.stage.value,
        "self_score": str(evaluation.self_score),
        "items": [
            {
                "item": item_number(score),
                "text": score.item.text,
                "points": str(score.item.points),
                "proposed": None if score.proposed is None else str(score.proposed),
                "score": str(score.confirmed),
                "reason": score.change_reason,
                "shortfall": score.shortfall,
                "evidence": [[e["label"], e["count"], e.get("of")] for e in score.evidence.get("items", [])],
            }
            for score in evaluation.scores
        ],
    }


def snapshot_text(evaluation: VillageEvaluation) -> str:
    return json.dumps(snapshot(evaluation), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sign(
    session: Session,
    actor: User,
    evaluation: VillageEvaluation,
    *,
    scan_key: str | None = None,
    today: dt.date,
    now: dt.datetime,
) -> Signature:
    """The actor signs for their post; the second signature moves the evaluation on."""
    require_signer(actor, evaluation.village)
    if evaluation.status is not Status.SIGNING:
        raise Locked(f"自评表{evaluation.status.label}，现在不能签字。")
    for signature in evaluation.valid_signatures:
        if signature.user_id == actor.id:
            raise Invalid({"sign": "您已经签过字了，同一人不能重复签字。"})
        if signature.post is actor.village_post:
            raise Invalid({"sign": f"{actor.village_post.label}已由{signature.signer_name}签字。"})
    text = snapshot_text(evaluation)
    signature = Signature(
        evaluation_id=evaluation.id,
        post=actor.village_post,
        user_id=actor.id,
        signer_name=actor.name,
        signed_at=now,
        snapshot=text,
        snapshot_sha256=hashlib.sha256(text.encode()).hexdigest(),
        scan_key=scan_key,
    )
    try:
        with session.begin_nested():
            session.add(signature)
            session.flush()
    except IntegrityError:  # the other phone signed for the same post at the same moment
        raise Invalid({"sign": f"{actor.village_post.label}已经签字。"}) from None
    session.expire(evaluation, ["signatures"])
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=evaluation.id,
        action="sign",
        now=now,
        changes={"岗位": actor.village_post.label, "SHA-256": signature.snapshot_sha256, "扫描件": bool(scan_key)},
    )
    if {s.post for s in evaluation.valid_signatures} == set(VillagePost):
        _both_signed(session, evaluation, today, now)
    return signature


def _both_signed(session: Session, evaluation: VillageEvaluation, today: dt.date, now: dt.datetime) -> None:
    if evaluation.stage is Stage.SELF_CHECK:
        report(session, evaluation, now)
        return
    open_notice(
        session,
        None,
        subject_kind=NOTICE_KIND,
        subject_id=evaluation.id,
        village=evaluation.village,
        title=f"{evaluation.village.name}{evaluation.year}年度项目资产绩效自评结果公示"[:60],
        body=notice_body(evaluation, care_of_village(session, evaluation)),
        starts_on=today,
        now=now,
    )
    evaluation.status, evaluation.updated_at = Status.ON_NOTICE, now
    _record(session, None, evaluation, "notice", {"状态": Status.ON_NOTICE.label}, now)


def care_of_village(session: Session, evaluation: VillageEvaluation) -> Counter[Rating]:
    """The villagers' yearly ratings of the care of the village's assets (counts only)."""
    rows = session.execute(
        select(CareRating.rating, func.count())
        .join(Asset, Asset.id == CareRating.asset_id)
        .where(Asset.village_id == evaluation.village_id, CareRating.year == evaluation.year)
        .group_by(CareRating.rating)
    )
    return Counter(dict(rows.all()))


def notice_body(evaluation: VillageEvaluation, care: Counter[Rating]) -> str:
    """The frozen text on notice: each item's score and, where short, why and what is done; and
    how the villagers rated the care of the village's assets this year."""
    lines = [
        f"{evaluation.village.full_name}{evaluation.year}年度扶贫项目资产后续管理绩效自评结果如下，"
        f"自评得分{evaluation.self_score}分。",
    ]
    for score in evaluation.scores:
        line = f"{item_number(score)} {score.item.text}：{score.confirmed}分（满分{score.item.points}分）"
        if score.shortfall:
            line += f"；偏差原因及改进措施：{score.shortfall}"
        lines.append(line)
    if care:
        lines.append("群众年度管护评价：" + "，".join(f"{rating.label}{care[rating]}人" for rating in Rating) + "。")
    signers = "、".join(f"{s.post.label}{s.signer_name}" for s in evaluation.valid_signatures)
    lines.append(f"已经{signers}审核签字。如有异议，请在公示期内提出。")
    return "\n".join(lines)[:5000]


def report(session: Session, evaluation: VillageEvaluation, now: dt.datetime) -> None:
    """Filed with (self-check) or reported to (self-evaluation) the town; the step's task is done."""
    evaluation.status, evaluation.reported_at, evaluation.updated_at = Status.REPORTED, now, now
    close_deadline(session, deadline_key(evaluation), f"evaluation:{evaluation.id}", now)
    _record(session, None, evaluation, "report", {"状态": Status.REPORTED.label}, now)


def deadline_key(evaluation: VillageEvaluation) -> str:
    return f"{DEADLINE_KINDS[evaluation.stage]}:{evaluation.year}:r{evaluation.village_id}"


@on_notice_decided(NOTICE_KIND)
def evaluation_notice_decided(session: Session, notice: PublicNotice, now: dt.datetime) -> None:
    evaluation = session.get(VillageEvaluation, notice.subject_id)
    if evaluation is None or evaluation.status is not Status.ON_NOTICE:
        return
    if notice.outcome is NoticeOutcome.PASSED:
        report(session, evaluation, now)
    elif notice.outcome is NoticeOutcome.UPHELD:
        _back_to_village(session, None, evaluation, Status.SENT_BACK, UPHELD_REASON, now)
        _record(session, None, evaluation, "objection_upheld", {"理由": UPHELD_REASON}, now)


def send_back(session: Session, actor: User, evaluation: VillageEvaluation, reason: str, now: dt.datetime) -> None:
    """A supervisor sends the form back to the clerk, saying why; any signature is voided."""
    require_signer(actor, evaluation.village)
    if evaluation.status is not Status.SIGNING:
        raise Locked(f"自评表{evaluation.status.label}，现在不能退回。")
    reason = _reason(reason, "退回理由")
    _back_to_village(session, actor, evaluation, Status.SENT_BACK, reason, now)
    _record(session, actor, evaluation, "send_back", {"理由": reason}, now)


def reopen(session: Session, actor: User, evaluation: VillageEvaluation, reason: str, now: dt.datetime) -> list[int]:
    """Reopen a form after a signature (the clerk, or the town or district over the village): the
    signatures are voided, a running notice withdrawn, the step's task open again. Returns the ids
    of the people to tell (those who had signed, and the town once it was reported)."""
    if not actor.active or not region_in_scope(actor, evaluation.village):
        raise NotFound()
    if actor.role not in REOPENERS:
        raise Forbidden("只有本村村干部、乡镇工作专班和区乡村振兴局可以重新打开自评表。")
    if evaluation.status not in REOPENABLE or (evaluation.status is Status.SIGNING and not evaluation.valid_signatures):
        raise Locked(f"自评表{evaluation.status.label}，不需要也不能重新打开。")
    reason = _reason(reason, "重新打开的理由")
    told = [s.user_id for s in evaluation.valid_signatures]
    notice = notice_for(session, NOTICE_KIND, evaluation.id)
    if notice is not None and notice.outcome in OPEN_OUTCOMES:
        withdraw_notice(session, actor, notice, reason=f"自评表重新打开：{reason}"[:MAX_REASON], now=now)
    was_reported = evaluation.status is Status.REPORTED
    _back_to_village(session, actor, evaluation, Status.DRAFT, f"重新打开：{reason}"[:MAX_REASON], now)
    if was_reported:
        _reopen_deadline(session, deadline_key(evaluation), now)
        told += list(session.scalars(select(User.id).where(town_officials(evaluation))))
    _record(session, actor, evaluation, "reopen", {"理由": reason}, now)
    return told


def town_officials(evaluation: VillageEvaluation):
    return (User.region_id == evaluation.town_id) & (User.role == Role.TOWN_OFFICIAL) & User.active.is_(True)


def _back_to_village(
    session: Session, actor: User | None, evaluation: VillageEvaluation, status: Status, reason: str, now: dt.datetime
) -> None:
    for signature in evaluation.valid_signatures:
        signature.voided_at, signature.void_reason = now, reason
    evaluation.status, evaluation.sent_back_reason, evaluation.updated_at = status, reason, now
    evaluation.reported_at = None
    session.flush()


def _reopen_deadline(session: Session, key: str, now: dt.datetime) -> None:
    deadline = session.scalar(select(Deadline).where(Deadline.key == key))
    if deadline is None or deadline.done_at is None:
        return
    deadline.done_at, deadline.done_by, deadline.evidence = None, None, None
    session.flush()
    audit.record(
        session, actor=None, entity_type="deadline", entity_id=deadline.id, action="reopen", changes={}, now=now
    )


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_REASON or not text.isprintable():
        raise Invalid({"reason": f"请填写{what}（1到{MAX_REASON}个字）。"})
    return text


def _record(
    session: Session, actor: User | None, evaluation: VillageEvaluation, action: str, changes: dict, now: dt.datetime
) -> None:
    audit.record(
        session, actor=actor, entity_type=ENTITY, entity_id=evaluation.id, action=action, now=now, changes=changes
    )
