"""Staff pages for complaints: the list of those in one's scope, and the detail with its workflow.

An answer (or a rejection) is pushed to the villager over WeChat once it has committed
(`bot.after_commit.complaints`).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.after_commit.complaints import push_result
from infra.clock import now, today
from infra.database import after_commit, db_session
from infra.storage import media_storage
from models.complaints.entities import Complaint, ComplaintStatus, ComplaintStep
from models.complaints.operations import MAX_PHOTOS, accept, answer, assign, close, reject
from models.complaints.queries import get_visible_complaint, visible_complaints
from models.errors import Invalid
from models.notices.operations import objection_settled
from models.paging import page_number, page_of
from models.photos import PhotoRejected
from web.auth import staff
from web.errors import error_response
from web.uploads import uploaded_photos

blueprint = Blueprint("complaints", __name__)
PER_PAGE = 30


@blueprint.get("/complaints")
@login_required
def index() -> str:
    status = ComplaintStatus.from_label(request.args.get("status", "")) if request.args.get("status") else None
    query = visible_complaints(staff(), status)
    page = page_of(db_session(), query, page_number(request.args.get("page")), PER_PAGE, (Complaint.id.desc(),))
    return render_template(
        "complaints/list.html", page=page, args=request.args, status=status, statuses=list(ComplaintStatus)
    )


@blueprint.get("/complaints/<int:complaint_id>")
@login_required
def detail(complaint_id: int) -> str:
    complaint = get_visible_complaint(db_session(), staff(), complaint_id)
    return render_template("complaints/detail.html", complaint=complaint, errors={}, form={})


UPHELD_CHOICES = {"yes": True, "no": False}  # an objection's answer: 异议成立 / 异议不成立


# Each action a handler may take: (the complaint) -> the step it made, from the posted form.
ACTIONS: dict[str, Callable[[Complaint], ComplaintStep]] = {
    "accept": lambda complaint: accept(db_session(), staff(), complaint, now()),
    "reject": lambda complaint: reject(db_session(), staff(), complaint, request.form.get("reason", ""), now()),
    "assign": lambda complaint: assign(db_session(), staff(), complaint, request.form.get("assigned_to", ""), now()),
    "answer": lambda complaint: answer(
        db_session(),
        media_storage(),
        staff(),
        complaint,
        request.form.get("answer", ""),
        uploaded_photos(MAX_PHOTOS),
        now(),
        upheld=UPHELD_CHOICES.get(request.form.get("upheld", "")),
    ),
    "close": lambda complaint: close(db_session(), staff(), complaint, now()),
}


@blueprint.post("/complaints/<int:complaint_id>/<action>")
@login_required
def act(complaint_id: int, action: str):
    session = db_session()
    complaint = get_visible_complaint(session, staff(), complaint_id)
    if action not in ACTIONS:
        return error_response(404, "没有这个操作。")
    try:
        step = ACTIONS[action](complaint)
    except (Invalid, PhotoRejected) as error:
        session.rollback()
        complaint = get_visible_complaint(session, staff(), complaint_id)
        errors = error.fields if isinstance(error, Invalid) else {"photos": error.message}
        return render_template(
            "complaints/detail.html", complaint=complaint, errors=errors, form=request.form
        ), error.status
    objection_settled(session, complaint.notice_id, today(), now())
    flash(f"已{step.kind.label}。")
    after_commit(push_result, step.id)
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)
