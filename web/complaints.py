"""Staff pages for complaints: the list of those in one's scope, and the detail with its workflow.

An answer (or a rejection) is pushed to the villager over WeChat after the commit, through the
notifier: a template message by default (a villager who only scanned a card cannot be reached by
customer-service message after the 48-hour window), customer-service text when configured.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select

from bot.notifier import send_template, send_text
from models import complaints
from models.complaints import Complaint, ComplaintStatus, ComplaintStep, StepKind
from models.errors import Invalid
from models.photos import MAX_BYTES, store_photo
from web.auth import staff
from web.clock import now
from web.database import db_session
from web.storage import media_storage

blueprint = Blueprint("complaints", __name__)
log = logging.getLogger("guanhu.web")
PER_PAGE = 30
PUSHED_STEPS = (StepKind.ANSWERED, StepKind.REJECTED)

DEFAULTS = {
    "COMPLAINT_ANSWER_CHANNEL": "template",  # or "custom" (customer-service message)
    "COMPLAINT_ANSWER_TEMPLATE_ID": None,
    # The keywords of the template chosen in the official account's admin (模板消息 → 我的模板).
    "COMPLAINT_TEMPLATE_FIELDS": {"number": "character_string1", "status": "phrase2", "time": "time3"},
}
PUSH_TEXT = "您反映的问题（受理编号 {number}）{result}，请点开查看：{url}"


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(blueprint)


@blueprint.get("/complaints")
@login_required
def index() -> str:
    status = ComplaintStatus.from_label(request.args.get("status", "")) if request.args.get("status") else None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = complaints.visible_complaints(staff(), status)
    total = db_session().scalar(select(func.count()).select_from(query.with_only_columns(Complaint.id).subquery()))
    items = list(
        db_session().scalars(query.order_by(Complaint.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    )
    return render_template(
        "complaints/list.html",
        items=items,
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=status,
        statuses=list(ComplaintStatus),
    )


@blueprint.get("/complaints/<int:complaint_id>")
@login_required
def detail(complaint_id: int) -> str:
    complaint = complaints.get_visible_complaint(db_session(), staff(), complaint_id)
    return render_template("complaints/detail.html", complaint=complaint, errors={}, form={})


@blueprint.post("/complaints/<int:complaint_id>/<action>")
@login_required
def act(complaint_id: int, action: str):
    session = db_session()
    complaint = complaints.get_visible_complaint(session, staff(), complaint_id)
    form = request.form
    try:
        if action == "accept":
            step = complaints.accept(session, staff(), complaint, now())
        elif action == "reject":
            step = complaints.reject(session, staff(), complaint, form.get("reason", ""), now())
        elif action == "assign":
            step = complaints.assign(session, staff(), complaint, form.get("assigned_to", ""), now())
        elif action == "answer":
            uploads = [file for file in request.files.getlist("photos") if file.filename]
            if len(uploads) > complaints.MAX_PHOTOS:
                raise Invalid({"photos": f"最多上传{complaints.MAX_PHOTOS}张照片。"})
            photos = [
                store_photo(session, media_storage(), file.read(MAX_BYTES + 1), now=now(), uploaded_by_id=staff().id)
                for file in uploads
            ]
            step = complaints.answer(session, staff(), complaint, form.get("answer", ""), photos, now())
        elif action == "close":
            step = complaints.close(session, staff(), complaint, now())
        else:
            return render_template("error.html", status=404, message="没有这个操作。", fields={}), 404
    except Invalid as error:
        session.rollback()
        complaint = complaints.get_visible_complaint(session, staff(), complaint_id)
        return render_template("complaints/detail.html", complaint=complaint, errors=error.fields, form=form), 422
    session.commit()
    flash(f"已{step.kind.label}。")
    if step.kind in PUSHED_STEPS:
        push_to_villager(complaint, step)
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)


def push_to_villager(complaint: Complaint, step: ComplaintStep) -> None:
    """Tell the villager (when their openid is known) that their complaint has a result."""
    config = current_app.config
    if not complaint.openid or not config.get("WECHAT_APPID"):
        return
    url = f"{config['PUBLIC_BASE_URL']}{url_for('public.tracking', token=complaint.public_token)}"
    key = f"complaint-{step.kind.value}:{step.id}"
    answered = step.kind is StepKind.ANSWERED
    template_id = config.get("COMPLAINT_ANSWER_TEMPLATE_ID")
    if config["COMPLAINT_ANSWER_CHANNEL"] == "template" and template_id:
        fields = config["COMPLAINT_TEMPLATE_FIELDS"]
        data = {
            fields["number"]: complaint.tracking_number,
            fields["status"]: "已答复" if answered else "不予受理",
            fields["time"]: step.at.astimezone(ZoneInfo(config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M"),
        }
        send_template(db_session(), complaint.openid, template_id, data, url, key=key)
    else:
        result = "已有答复" if answered else "不予受理"
        send_text(
            db_session(),
            complaint.openid,
            PUSH_TEXT.format(number=complaint.tracking_number, result=result, url=url),
            key=key,
        )
