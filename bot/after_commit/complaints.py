"""An answer to a complaint (or its rejection) is pushed to the villager after the commit.

A template message by default (a villager who only scanned a card cannot be reached by
customer-service message after the 48-hour window), customer-service text when configured.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from bot.notifier import send_template, send_text
from models.clock import local_time
from models.complaints.entities import ComplaintStep, StepKind

PUSHED_STEPS = (StepKind.ANSWERED, StepKind.REJECTED)
PUSH_TEXT = "您反映的问题（受理编号 {number}）{result}，请点开查看：{url}"


def push_result(session: Session, step_id: int) -> None:
    """Tell the villager (when their openid is known) that their complaint has a result."""
    config = current_app.config
    step = session.get_one(ComplaintStep, step_id)
    complaint = step.complaint
    if step.kind not in PUSHED_STEPS or not complaint.openid or not config.get("WECHAT_APPID"):
        return
    url = f"{config['PUBLIC_BASE_URL']}/t/{complaint.public_token}"
    key = f"complaint-{step.kind.value}:{step.id}"
    answered = step.kind is StepKind.ANSWERED
    village_id = complaint.village.id  # the pushes log shows it to the staff of that village
    template_id = config["COMPLAINT_ANSWER_TEMPLATE_ID"]
    if config["COMPLAINT_ANSWER_CHANNEL"] == "template" and template_id:
        fields = config["COMPLAINT_TEMPLATE_FIELDS"]
        data = {
            fields["number"]: complaint.tracking_number,
            fields["status"]: "已答复" if answered else "不予受理",
            fields["time"]: local_time(step.at, config["TIMEZONE"]),
        }
        send_template(session, complaint.openid, template_id, data, url, key=key, region_id=village_id)
    else:
        result = "已有答复" if answered else "不予受理"
        text = PUSH_TEXT.format(number=complaint.tracking_number, result=result, url=url)
        send_text(session, complaint.openid, text, key=key, region_id=village_id)
