"""Pushes of the evaluation's results, once they have committed: the village's clerks learn the
town's review of their self-evaluation."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.notifier import send_to_staff
from models.deadlines.reminders import Message
from models.evaluations.entities import VillageEvaluation
from models.people import Role, User

REVIEWED_TEXT = "【复核】{village}{year}年度年终自评已由镇复核：{score}分，等次「{grade}」。{adjusted}请查看：{url}"


def push_reviewed(session: Session, evaluation_id: int) -> None:
    config = current_app.config
    if not config.get("WECHAT_APPID"):
        return
    evaluation = session.get_one(VillageEvaluation, evaluation_id)
    adjusted = sum(1 for score in evaluation.scores if score.town_reason)
    url = f"{config['PUBLIC_BASE_URL']}/evaluations/review/{evaluation.id}/result"
    text = REVIEWED_TEXT.format(
        village=evaluation.village.name,
        year=evaluation.year,
        score=evaluation.score,
        grade=evaluation.grade.label,
        adjusted=f"其中{adjusted}项有调整。" if adjusted else "",
        url=url,
    )
    message = Message(
        task=f"{evaluation.year}年度自评已复核"[:20], due="—", status=evaluation.status.label, count="复核"
    )
    clerks = session.scalars(
        select(User).where(
            User.region_id == evaluation.village_id,
            User.role == Role.VILLAGE_CLERK,
            User.active.is_(True),
            User.wechat_openid.is_not(None),
        )
    )
    for clerk in clerks:
        key = f"evaluation:{evaluation.id}:reviewed:{evaluation.updated_at.isoformat()}:{clerk.id}"
        send_to_staff(session, clerk.wechat_openid, message, url, key=key, text=text)
