"""Pushes of the village evaluation's steps, once they have committed: something to sign (the
supervisors), sent back or reopened (the clerks, and whoever had signed), reported (the town)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from bot.notifier import send_to_staff
from models.deadlines.reminders import Message
from models.evaluations.entities import VillageEvaluation
from models.evaluations.recipients import TEXTS, clerks_of_district, recipients


def push_evaluation_step(session: Session, evaluation_id: int, event: str, *also: int) -> None:
    config = current_app.config
    if not config.get("WECHAT_APPID"):
        return
    evaluation = session.get_one(VillageEvaluation, evaluation_id)
    village, stage = evaluation.village, evaluation.stage.label
    url = f"{config['PUBLIC_BASE_URL']}/evaluations/form/{evaluation.id}"
    text = TEXTS[event].format(
        village=village.full_name, year=evaluation.year, stage=stage, reason=evaluation.sent_back_reason or "", url=url
    )
    message = Message(
        task=f"{village.name}{evaluation.year}年度{stage}"[:20], due="—", status=evaluation.status.label, count=stage
    )
    moment = evaluation.updated_at.isoformat()
    for user in recipients(session, evaluation, event, also):
        key = f"evaluation:{evaluation.id}:{event}:{moment}:{user.id}"
        send_to_staff(session, user.wechat_openid, message, url, key=key, text=text)


TARGETS_TEXT = "【绩效目标】{year}年度项目资产绩效目标已下达，请查看：{url}"


def push_targets_issued(session: Session, district_id: int, year: int) -> None:
    """Tell every village clerk of the district that the year's targets are issued."""
    config = current_app.config
    if not config.get("WECHAT_APPID"):
        return
    url = f"{config['PUBLIC_BASE_URL']}/evaluations/{year}/targets"
    message = Message(task=f"{year}年度绩效目标已下达", due="—", status="已下达", count="绩效目标")
    for user in clerks_of_district(session, district_id):
        key = f"targets:{district_id}:{year}:{user.id}"
        send_to_staff(session, user.wechat_openid, message, url, key=key, text=TARGETS_TEXT.format(year=year, url=url))
