"""Staff pages for complaints: the inbox of those in one's scope (searched and filtered, overdue
marked), and the detail with its workflow.

Each step's push (the answer or rejection to the villager, the 转办 to whoever takes it over) goes
out once it has committed (`bot.after_commit.complaints`); the complaint's tasks follow at once.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.after_commit.complaints import push_step
from infra import clock
from infra.database import after_commit, db_session
from infra.storage import media_storage
from models.access import visible_villages
from models.complaints.entities import Complaint, ComplaintCategory, ComplaintStatus, ComplaintStep, Rating
from models.complaints.operations import (
    MAX_PHOTOS,
    accept,
    answer,
    assign,
    assignees,
    close,
    possible_steps,
    reject,
)
from models.complaints.queries import InboxFilter, Todo, get_visible_complaint, search_inbox
from models.deadlines.sources import sync_complaint
from models.errors import Invalid
from models.notices.operations import objection_settled
from models.paging import page_number
from models.photos import PhotoRejected
from models.storage import StorageUnavailable
from web.auth import staff
from web.errors import error_response
from web.uploads import uploaded_photos

blueprint = Blueprint("complaints", __name__)
PER_PAGE = 30
MAX_SEARCH = 60


def inbox_filter() -> InboxFilter:
    """The inbox's filters from the query string (unknown values are ignored, as the register does)."""
    args = request.args
    village, year, month = (args.get(name, "").strip() for name in ("village", "year", "month"))
    if village and not (village.isdigit() and len(village) <= 9):
        abort(400)
    if year and not (year.isdigit() and len(year) == 4):
        abort(400)
    if month and not (month.isdigit() and 1 <= int(month) <= 12 and year):
        abort(400)
    return InboxFilter(
        status=ComplaintStatus.from_label(args.get("status", "")) if args.get("status") else None,
        todo=Todo.from_label(args.get("todo", "")) if args.get("todo") else None,
        category=ComplaintCategory.from_label(args.get("category", "")) if args.get("category") else None,
        village_id=int(village) if village else None,
        year=int(year) if year else None,
        month=int(month) if month else None,
        overdue_only=args.get("overdue") == "1",
        answered_only=args.get("answered") == "1",
        on_time_only=args.get("ontime") == "1",
        rating=Rating.from_label(args.get("rating", "")) if args.get("rating") else None,
        handed_to_me=args.get("mine") == "1",
        text=args.get("q", "").strip()[:MAX_SEARCH] or None,
        page=page_number(args.get("page")),
        per_page=PER_PAGE,
        timezone=current_app.config["TIMEZONE"],
    )


@blueprint.app_template_global()
def inbox_args(wanted: InboxFilter) -> dict[str, str]:
    """The inbox's query that shows what `wanted` picks (inbox_filter read back)."""
    args = {
        "status": wanted.status.value if wanted.status else None,
        "todo": wanted.todo.value if wanted.todo else None,
        "category": wanted.category.value if wanted.category else None,
        "village": wanted.village_id,
        "year": wanted.year,
        "month": wanted.month,
        "overdue": "1" if wanted.overdue_only else None,
        "answered": "1" if wanted.answered_only else None,
        "ontime": "1" if wanted.on_time_only else None,
        "rating": wanted.rating.value if wanted.rating else None,
        "mine": "1" if wanted.handed_to_me else None,
        "q": wanted.text,
    }
    return {name: str(value) for name, value in args.items() if value}


@blueprint.get("/complaints")
@login_required
def index() -> str:
    wanted = inbox_filter()
    session = db_session()
    return render_template(
        "complaints/list.html",
        page=search_inbox(session, staff(), wanted, clock.today()),
        wanted=wanted,
        args=request.args,
        statuses=list(ComplaintStatus),
        categories=list(ComplaintCategory),
        todos=list(Todo),
        ratings=list(Rating),
        villages=visible_villages(session, staff()),
    )


def _detail(complaint: Complaint, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return render_template(
        "complaints/detail.html",
        complaint=complaint,
        errors=errors,
        form=request.form,
        steps=possible_steps(complaint),
        assignees=assignees(db_session(), complaint),
        overdue=complaint.overdue(clock.today()),
    ), status


@blueprint.get("/complaints/<int:complaint_id>")
@login_required
def detail(complaint_id: int) -> tuple[str, int]:
    return _detail(get_visible_complaint(db_session(), staff(), complaint_id), {})


def _reject(complaint: Complaint) -> ComplaintStep:
    """不予受理, once the handler has ticked that they mean it (no script needed to ask)."""
    if request.form.get("confirm") != "1":
        raise Invalid({"confirm": "不予受理会告知群众，请勾选“确认不予受理”后再提交。"})
    return reject(db_session(), staff(), complaint, request.form.get("reason", ""), clock.now())


UPHELD_CHOICES = {"yes": True, "no": False}  # an objection's answer: 异议成立 / 异议不成立


# Each action a handler may take: (the complaint) -> the step it made, from the posted form.
ACTIONS: dict[str, Callable[[Complaint], ComplaintStep]] = {
    "accept": lambda complaint: accept(db_session(), staff(), complaint, clock.now()),
    "reject": _reject,
    "assign": lambda complaint: assign(
        db_session(), staff(), complaint, request.form.get("assigned_to", ""), clock.now()
    ),
    "answer": lambda complaint: answer(
        db_session(),
        media_storage(),
        staff(),
        complaint,
        request.form.get("answer", ""),
        uploaded_photos(MAX_PHOTOS),
        clock.now(),
        upheld=UPHELD_CHOICES.get(request.form.get("upheld", "")),
    ),
    "close": lambda complaint: close(db_session(), staff(), complaint, clock.now()),
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
    except (Invalid, PhotoRejected, StorageUnavailable) as error:
        session.rollback()
        complaint = get_visible_complaint(session, staff(), complaint_id)
        errors = error.fields if isinstance(error, Invalid) else {"photos": error.message}
        return _detail(complaint, errors, error.status)
    sync_complaint(session, complaint, clock.now())
    objection_settled(session, complaint.notice_id, clock.today(), clock.now())
    flash(f"已{step.kind.label}。")
    after_commit(push_step, step.id)
    return redirect(url_for("complaints.detail", complaint_id=complaint.id), 303)
