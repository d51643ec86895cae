"""Deadline pages: my tasks (with done marking), the district calendar, what is due in my area,
what was pushed to whom, who cannot be reached, and the state of the scheduled jobs."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from infra import clock
from infra.database import db_session
from models.access import staff_scope
from models.deadlines.calendar import calendar, ensure_calendar, get_calendar_entry, move_calendar_entry
from models.deadlines.operations import mark_done
from models.deadlines.reminders import state_text, unreachable_owners, unreachable_staff
from models.deadlines.tasks import Subject, done_tasks_for, open_deadlines_under, waiting_for
from models.errors import Invalid
from models.paging import page_number
from models.people import Role, User
from models.regions import Region, RegionLevel
from models.scheduling.jobs import JOB_LABELS, QUEUED_JOB_LABELS, SCHEDULER_LEASE
from models.scheduling.queries import current_lease, job_states, parked_jobs
from models.wechat.deliveries import DeliveryFilter, deliveries_page, masked_openid, purpose
from models.wechat.entities import DeliveryChannel, DeliveryStatus
from web.auth import staff

blueprint = Blueprint("deadlines", __name__)
LIST_LIMIT = 300
PUSHES_PER_PAGE = 50
AUDIENCES = {"staff": "工作人员", "villagers": "群众"}

# Where each kind of task subject is shown.
SUBJECT_PAGES = {
    "complaint": ("complaints.detail", "complaint_id"),
    "record": ("maintenance.detail", "record_id"),
    "asset": ("assets.detail", "asset_id"),
    "notice": ("notices.detail", "notice_id"),
    "calendar": ("deadlines.calendar_page", "year"),
    "targets": ("evaluation_targets.targets_page", "year"),
    "self_check": ("evaluation_pages.self_check_page", "year"),
    "self_evaluation": ("evaluation_pages.self_evaluation_page", "year"),
    "evaluation": ("evaluation_pages.form", "evaluation_id"),
    "review": ("evaluation_review.index", "year"),
    "rating": ("evaluation_rating.index", "year"),
}


@blueprint.app_template_global()
def subject_url(subject: Subject) -> str:
    """The page of what a task is about."""
    endpoint, argument = SUBJECT_PAGES[subject.kind]
    return url_for(endpoint, **{argument: subject.id})


@blueprint.route("/tasks")
@login_required
def my_tasks():
    return _tasks_page({}, None, 200)


def _tasks_page(errors: dict[str, str], failed_id: int | None, status: int):
    session, user, today = db_session(), staff(), clock.today()
    return render_template(
        "deadlines/tasks.html",
        tasks=waiting_for(session, user, today),
        done=done_tasks_for(session, user, today),
        errors=errors,
        failed_id=failed_id,
    ), status


@blueprint.route("/tasks/<int:deadline_id>/done", methods=["POST"])
@login_required
def mark_task_done(deadline_id: int):
    form = request.form
    try:
        deadline = mark_done(
            db_session(),
            staff(),
            deadline_id,
            note=form.get("note", ""),
            file_key=form.get("file", ""),
            record=form.get("record", ""),
            today=clock.today(),
            now=clock.now(),
        )
    except Invalid as error:
        return _tasks_page(error.fields, deadline_id, 422)
    flash(f"已标记完成：{deadline.title}。")
    return redirect(url_for("deadlines.my_tasks"))


def _district(user: User) -> Region:
    return user.region.ancestor(RegionLevel.DISTRICT)


def _year() -> int:
    value = request.args.get("year", "").strip()
    if not value:
        return clock.today().year
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        abort(400)
    return int(value)


@blueprint.route("/deadlines/calendar")
@login_required
def calendar_page():
    session, user, year = db_session(), staff(), _year()
    district = _district(user)
    entries = calendar(session, district, year) or ensure_calendar(session, district, year)
    return render_template(
        "deadlines/calendar.html",
        entries=entries,
        year=year,
        district=district,
        editable=user.role is Role.DISTRICT_ADMIN,
        errors={},
        failed_id=None,
    )


def _date(name: str, errors: dict[str, str], required: bool) -> dt.date | None:
    value = request.form.get(name, "").strip()
    if not value:
        if required:
            errors[name] = "请填写日期。"
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "日期格式应为 2026-12-10。"
        return None


@blueprint.route("/deadlines/calendar/<int:entry_id>", methods=["POST"])
@login_required
def move_entry(entry_id: int):
    session, user = db_session(), staff()
    entry = get_calendar_entry(session, user, entry_id)
    errors: dict[str, str] = {}
    due_on = _date("due_on", errors, required=True)
    starts_on = _date("starts_on", errors, required=False)
    if not errors:
        try:
            move_calendar_entry(session, user, entry, due_on, starts_on, clock.now())
            flash(f"已调整「{entry.kind.title}」的日期为 {due_on:%Y年%m月%d日}，未完成的任务随之调整。")
            return redirect(url_for("deadlines.calendar_page", year=entry.year))
        except Invalid as error:
            errors = error.fields
    entries = calendar(session, _district(user), entry.year)
    return render_template(
        "deadlines/calendar.html",
        entries=entries,
        year=entry.year,
        district=_district(user),
        editable=True,
        errors=errors,
        failed_id=entry_id,
    ), 422


@blueprint.route("/deadlines")
@login_required
def overview():
    """What is due in my area, for whom: open deadlines of every region I oversee, and which of
    their owners the reminders cannot reach."""
    session = db_session()
    deadlines = open_deadlines_under(session, staff(), LIST_LIMIT)
    today = clock.today()
    return render_template(
        "deadlines/overview.html",
        deadlines=deadlines,
        unreachable=unreachable_owners(session, deadlines, _reminder_template_id()),
        today=today,
        state_text=state_text,
        limit=LIST_LIMIT,
    )


def _reminder_template_id() -> str | None:
    return current_app.config["WECHAT_REMINDER_TEMPLATE_ID"] or None


@blueprint.route("/deadlines/pushes")
@login_required
def pushes_page():
    """Every push about the regions I oversee, to staff and villagers alike (villagers unnamed),
    and the staff whom reminders cannot reach."""
    session, user, args = db_session(), staff(), request.args
    wanted = DeliveryFilter(
        status=DeliveryStatus.from_label(args["status"]) if args.get("status") else None,
        channel=DeliveryChannel.from_label(args["channel"]) if args.get("channel") else None,
        to_villagers={"villagers": True, "staff": False}.get(args.get("to", "")),
    )
    return render_template(
        "deadlines/pushes.html",
        page=deliveries_page(session, user, wanted, page_number(args.get("page")), PUSHES_PER_PAGE),
        wanted=wanted,
        args=args,
        statuses=list(DeliveryStatus),
        channels=list(DeliveryChannel),
        audiences=AUDIENCES,
        purpose=purpose,
        masked_openid=masked_openid,
        unreachable=unreachable_staff(session, staff_scope(user), _reminder_template_id()),
    )


@blueprint.route("/deadlines/jobs")
@login_required
def jobs_page():
    if staff().role is not Role.DISTRICT_ADMIN:
        abort(403)
    session = db_session()
    return render_template(
        "deadlines/jobs.html",
        states=job_states(session),
        labels=JOB_LABELS,
        lease=current_lease(session, SCHEDULER_LEASE),
        now=clock.now(),
        parked=parked_jobs(session),
        queued_labels=QUEUED_JOB_LABELS,
        masked_openid=masked_openid,
    )
