"""Work the WeChat chat leaves for after its reply, and the pushes that follow a maintenance record.

Photos sent in a field session are fetched after the reply (WeChat keeps them 3 days) by
`fetch_photo`; the record is saved by `save_when_ready` once it is complete and every photo has
arrived, and the sender is told by customer-service message (they have just written to us, so
the 48-hour window is open). A damage report (损毁报告) is then pushed at once to the custodian
body and the town (`push_damage_report`): a template message when
GUANHU_DAMAGE_REPORT_TEMPLATE_ID is set (it reaches staff any time), else a customer-service
text, which WeChat delivers only within 48 hours of the person's last message (a 45015 failure is
recorded in `deliveries`). Each person is told once per record.
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app
from sqlalchemy.orm import Session

from bot.client import WeChatError
from bot.media_fetch import fetch_media
from bot.notifier import send_template, send_text, send_to_staff
from infra.clock import now as clock_now
from infra.storage import media_storage
from models.clock import local_time
from models.deadlines.reminders import Message
from models.errors import DomainError, Forbidden, Invalid
from models.maintenance import field_sessions as fields
from models.maintenance.damage_reports import damage_report_recipients
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.photos import PhotoRejected
from models.storage import StorageUnavailable

log = logging.getLogger("guanhu.bot")

FETCH_FAILED = "第{number}张照片没有收到（从微信下载失败），请再发一次这张照片。"
NOT_STORED = "第{number}张照片没有存下（文件存储暂时连不上），请再发一次这张照片。"
NOT_A_PHOTO = "第{number}张照片没有收下：{reason}"
SAVED = "已保存：「{asset}」{kind}记录，{count}张照片。查看：{url}"
SAVED_FLAGGED = "\n注意：{flag}。这条记录会由乡镇核实。"
SAVE_FAILED = "管护记录没有保存：{reason}\n请补发后回复「完成」。"
SAVE_REFUSED = "管护记录没有保存：{reason}"
DAMAGE_TEXT = "【损毁报告】{asset}（{village}）{time}报告损毁：{notes}\n请尽快安排维修：{url}"
REPAIR_TEXT = "【安排维修】{asset}（{village}）的损毁由您负责维修，请在{due}前修好，并录入维修记录：{url}"
THING_CHARS = 20  # WeChat's limit for a `thing` field


def fetch_photo(
    session: Session, field_session_id: int, photo_id: int, number: int, openid: str, media_id: str
) -> None:
    """Fetch one photo (with retries), keep its original, and save the record if it was the last."""
    problem = None
    key = None
    try:
        data = fetch_media(media_id)
        key = media_storage().put(data, fields.photo_suffix(data))
    except WeChatError as error:
        log.warning("field photo %s not fetched: %s", photo_id, error.message)
        problem = FETCH_FAILED.format(number=number)
    except PhotoRejected as rejected:
        problem = NOT_A_PHOTO.format(number=number, reason=rejected.message)
    except StorageUnavailable:
        problem = NOT_STORED.format(number=number)
    if not fields.photo_arrived(session, photo_id, key):
        session.rollback()  # the session ended meanwhile (expired, replaced): nothing to add to
        return
    if problem:
        fields.await_resend(session, field_session_id)
    session.commit()
    if problem:
        send_text(session, openid, problem, key=f"field-photo:{photo_id}")
    save_when_ready(session, field_session_id)


def save_when_ready(session: Session, field_session_id: int) -> None:
    """Save the session's record when it is complete and no photo is still arriving (once)."""
    if not fields.claim_for_saving(session, field_session_id):
        session.rollback()
        return
    session.commit()
    now = clock_now()
    field = fields.take_for_saving(session, field_session_id, now)
    openid, asset_name = field.openid, field.asset.name
    try:
        record = fields.save(session, media_storage(), field, now, current_app.config["TIMEZONE"])
    except DomainError as error:
        session.rollback()
        _not_saved(session, field_session_id, openid, error)
        return
    session.commit()
    send_text(session, openid, _saved_text(record, asset_name), key=f"field-record:{record.id}")
    if record.kind is MaintenanceKind.DAMAGE_REPORT:
        push_damage_report(session, record.id)


def _saved_text(record: MaintenanceRecord, asset_name: str) -> str:
    url = f"{current_app.config['PUBLIC_BASE_URL']}/maintenance/{record.id}"
    text = SAVED.format(asset=asset_name, kind=record.kind.label, count=len(record.photos), url=url)
    return text + (SAVED_FLAGGED.format(flag=record.flags[0]) if record.flags else "")


def _not_saved(session: Session, field_session_id: int, openid: str, error: DomainError) -> None:
    reason = " ".join(error.fields.values()) if isinstance(error, Invalid) else error.message
    if isinstance(error, Forbidden):
        fields.end(session, field_session_id)
        text = SAVE_REFUSED.format(reason=reason)
    else:
        dropped = error.numbers if isinstance(error, fields.PhotosMissing) else []
        if isinstance(error, PhotoRejected):
            field = session.get(fields.FieldSession, field_session_id)
            dropped = fields.refused_photo_numbers(media_storage(), field)
            if dropped:
                reason = f"第{'、'.join(map(str, dropped))}张照片无法识别，已去掉。"
        fields.reopen(session, field_session_id, dropped)
        text = SAVE_FAILED.format(reason=reason)
    session.commit()
    send_text(session, openid, text, key=f"field-not-saved:{field_session_id}:{secrets.token_hex(4)}")


def push_damage_report(session: Session, record_id: int) -> None:
    """Tell each recipient about the damage report `record_id` (committed)."""
    config = current_app.config
    if not config.get("WECHAT_APPID"):
        return
    record = session.get_one(MaintenanceRecord, record_id)
    asset = record.asset
    url = f"{config['PUBLIC_BASE_URL']}/maintenance/{record.id}"
    when = local_time(record.recorded_at, config["TIMEZONE"])
    template_id = config["DAMAGE_REPORT_TEMPLATE_ID"]
    for user in damage_report_recipients(session, asset, record.recorded_by_id):
        key = f"damage-report:{record.id}:{user.id}"
        if template_id:
            names = config["DAMAGE_REPORT_TEMPLATE_FIELDS"]
            data = {names["asset"]: asset.name[:THING_CHARS], names["status"]: "损毁待修", names["time"]: when}
            send_template(session, user.wechat_openid, template_id, data, url, key=key)
        else:
            text = DAMAGE_TEXT.format(
                asset=asset.name, village=asset.village.name, time=when, notes=(record.notes or "")[:100], url=url
            )
            send_text(session, user.wechat_openid, text, key=key)


def push_repair_arranged(session: Session, task_id: int) -> None:
    """Tell whoever a repair was given to (安排维修) what to repair and by when."""
    task = session.get_one(RepairTask, task_id)
    user = task.assignee
    if not current_app.config.get("WECHAT_APPID") or user is None or not user.wechat_openid:
        return
    asset = session.get_one(MaintenanceRecord, task.opened_by_id).asset
    url = f"{current_app.config['PUBLIC_BASE_URL']}/maintenance/{task.opened_by_id}"
    due = task.due_on.strftime("%Y年%m月%d日")
    text = REPAIR_TEXT.format(asset=asset.name, village=asset.village.full_name, due=due, url=url)
    message = Message(task=f"维修损毁资产：{asset.name}", due=due, status="待维修", count="安排维修")
    key = f"repair-arranged:{task.id}:{task.arranged_at.isoformat()}"
    send_to_staff(session, user.wechat_openid, message, url, key=key, text=text)
