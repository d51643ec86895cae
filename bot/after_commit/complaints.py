"""Pushes a complaint's steps call for, after the commit: the villager learns of an answer or a
rejection; whoever it is handed to (转办) learns that it is theirs.

The villager gets a template message by default (a villager who only scanned a card cannot be
reached by customer-service message after the 48-hour window), customer-service text when
configured. Staff get the reminder template (or subscription notification) when one is configured,
else customer-service text.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from bot.notifier import send_template, send_text, send_to_staff
from models.clock import local_time
from models.complaints.entities import ComplaintStep, StepKind
from models.complaints.operations import assigned_people
from models.deadlines.reminders import Message
from models.people import User

VILLAGER_STEPS = (StepKind.ANSWERED, StepKind.REJECTED)
PUSH_TEXT = "您反映的问题（受理编号 {number}）{result}，请点开查看：{url}"
ASSIGNED_TEXT = "【转办】群众反映 {number}（{about}，{village}）已转给{whom}办理，请在{due}前答复：{url}"


def push_step(session: Session, step_id: int) -> None:
    """Tell whoever the step concerns (committed): the villager, or those it was handed to."""
    step = session.get_one(ComplaintStep, step_id)
    if not current_app.config.get("WECHAT_APPID"):
        return
    if step.kind in VILLAGER_STEPS:
        _tell_villager(session, step)
    elif step.kind is StepKind.ASSIGNED:
        for user in assigned_people(session, step.complaint):
            _tell_assignee(session, step, user)


def _tell_villager(session: Session, step: ComplaintStep) -> None:
    config = current_app.config
    complaint = step.complaint
    if not complaint.openid:
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


def _tell_assignee(session: Session, step: ComplaintStep, user: User) -> None:
    if not user.wechat_openid:
        return
    complaint = step.complaint
    url = f"{current_app.config['PUBLIC_BASE_URL']}/complaints/{complaint.id}"
    due = complaint.answer_due_on.strftime("%Y年%m月%d日")
    text = ASSIGNED_TEXT.format(
        number=complaint.tracking_number,
        about=complaint.about,
        village=complaint.village.full_name,
        whom="您" if complaint.assigned_user_id == user.id else complaint.assigned_to,
        due=due,
        url=url,
    )
    task = f"转办群众反映：{complaint.about}"
    message = Message(task=task, due=due, status="待办理", count=complaint.tracking_number)
    send_to_staff(session, user.wechat_openid, message, url, key=f"complaint-assigned:{step.id}:{user.id}", text=text)
