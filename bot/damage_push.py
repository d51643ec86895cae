"""A damage report (损毁报告) is pushed at once to the custodian body and the town, after commit.

A template message when GUANHU_DAMAGE_REPORT_TEMPLATE_ID is set (it reaches staff any time);
otherwise a customer-service text, which WeChat delivers only within 48 hours of the person's
last message (a 45015 failure is recorded in `deliveries`). Each person is told once per record.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from bot.notifier import send_template, send_text
from models.damage_reports import damage_report_recipients
from models.deliveries import Delivery
from models.maintenance import MaintenanceRecord

DEFAULT_FIELDS = {"asset": "thing1", "status": "phrase2", "time": "time3"}
PUSH_TEXT = "【损毁报告】{asset}（{village}）{time}报告损毁：{notes}\n请尽快安排维修：{url}"
THING_CHARS = 20  # WeChat's limit for a `thing` field


def push_damage_report(session: Session, record: MaintenanceRecord) -> list[Delivery]:
    """Tell each recipient about the damage report `record` (already committed)."""
    config = current_app.config
    if not config.get("WECHAT_APPID"):
        return []
    asset = record.asset
    url = f"{config['PUBLIC_BASE_URL']}/maintenance/{record.id}"
    when = record.recorded_at.astimezone(ZoneInfo(config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
    template_id = config.get("DAMAGE_REPORT_TEMPLATE_ID")
    deliveries = []
    for user in damage_report_recipients(session, asset, record.recorded_by_id):
        key = f"damage-report:{record.id}:{user.id}"
        if template_id:
            fields = config.get("DAMAGE_REPORT_TEMPLATE_FIELDS", DEFAULT_FIELDS)
            data = {fields["asset"]: asset.name[:THING_CHARS], fields["status"]: "损毁待修", fields["time"]: when}
            deliveries.append(send_template(session, user.wechat_openid, template_id, data, url, key=key))
        else:
            text = PUSH_TEXT.format(
                asset=asset.name, village=asset.village.name, time=when, notes=(record.notes or "")[:100], url=url
            )
            deliveries.append(send_text(session, user.wechat_openid, text, key=key))
    return deliveries
