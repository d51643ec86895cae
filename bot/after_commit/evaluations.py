"""Pushes of the village evaluation's steps, once they have committed: something to sign (the
supervisors), sent back or reopened (the clerks, and whoever had signed), reported (the town)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from bot.notifier import send_to_staff
from models.deadlines.reminders import Message
from models.evaluations.entities import VillageEvaluation
from models.evaluations.recipients import TEXTS, clerks_of_district, clerks_of_village, recipients
from models.people import User
from models.regions import Region


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
VILLAGE_TARGETS_TEXT = "【绩效目标】区乡村振兴局调整了{village}{year}年度的绩效目标值，请查看：{url}"


def push_targets_issued(session: Session, district_id: int, year: int) -> None:
    """Tell every village clerk of the district that the year's targets are issued."""
    text = TARGETS_TEXT.format(year=year, url="{url}")
    _push_targets(session, clerks_of_district(session, district_id), year, f"targets:{district_id}:{year}", text)


def push_village_targets_changed(session: Session, village_id: int, year: int, moment: str) -> None:
    """Tell the village's clerks that the district changed its issued targets."""
    village = session.get_one(Region, village_id)
    text = VILLAGE_TARGETS_TEXT.format(village=village.full_name, year=year, url="{url}")
    key = f"village_targets:{village_id}:{year}:{moment}"
    _push_targets(session, clerks_of_village(session, village_id), year, key, text)


def _push_targets(session: Session, clerks: list[User], year: int, key: str, text: str) -> None:
    config = current_app.config
    if not config.get("WECHAT_APPID"):
        return
    url = f"{config['PUBLIC_BASE_URL']}/evaluations/{year}/targets"
    message = Message(task=f"{year}年度绩效目标已下达", due="—", status="已下达", count="绩效目标")
    for user in clerks:
        send_to_staff(
            session, user.wechat_openid, message, url, key=f"{key}:{user.id}", text=text.replace("{url}", url)
        )
