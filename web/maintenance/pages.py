"""Staff pages for maintenance records: review the evidence, mark doubtful records, see originals,
and arrange the repair a damage report asks for."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from bot.after_commit.maintenance import push_repair_arranged
from infra import clock
from infra.database import after_commit, db_session
from infra.storage import media_storage
from models import audit
from models.access import REVIEWERS, may_arrange_repair
from models.errors import Invalid
from models.maintenance.damage_reports import arrange_repair, repair_of, repairers, reports_repaired_by
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord
from models.maintenance.evidence import photo_matches
from models.maintenance.operations import MAINTENANCE_ENTITY, mark_doubtful
from models.maintenance.queries import (
    NEWEST_FIRST,
    RecordFilter,
    Repair,
    Shown,
    get_visible_record,
    listed_records,
    may_see_photo,
    visible_record_ids,
)
from models.paging import page_number, page_of
from models.photos import photo_by_token
from web.auth import staff

blueprint = Blueprint("maintenance", __name__, url_prefix="/maintenance")
PER_PAGE = 20


@blueprint.get("")
@login_required
def index():
    wanted = record_filter()
    query = listed_records(staff(), wanted, clock.today())
    page = page_of(db_session(), query, page_number(request.args.get("page")), PER_PAGE, NEWEST_FIRST)
    return render_template(
        "maintenance/list.html",
        page=page,
        args=request.args,
        wanted=wanted,
        shows=list(Shown),
        kinds=list(MaintenanceKind),
        repairs=list(Repair),
    )


def record_filter() -> RecordFilter:
    """The records list's filters from the query string (unknown values are ignored)."""
    args = request.args
    year = args.get("year", "").strip()
    if year and not (year.isdigit() and len(year) == 4):
        abort(400)
    return RecordFilter(
        shown=Shown.from_label(args.get("show", "")) if args.get("show") else None,
        kind=MaintenanceKind.from_label(args.get("kind", "")) if args.get("kind") else None,
        repair=Repair.from_label(args.get("repair", "")) if args.get("repair") else None,
        year=int(year) if year else None,
        timezone=current_app.config["TIMEZONE"],
    )


@blueprint.app_template_global()
def record_args(wanted: RecordFilter) -> dict[str, str]:
    """The records list's query that shows what `wanted` picks (record_filter read back)."""
    args = {
        "show": wanted.shown.value if wanted.shown else None,
        "kind": wanted.kind.value if wanted.kind else None,
        "repair": wanted.repair.value if wanted.repair else None,
        "year": wanted.year,
    }
    return {name: str(value) for name, value in args.items() if value}


@blueprint.get("/<int:record_id>")
@login_required
def detail(record_id: int):
    return _detail(get_visible_record(db_session(), staff(), record_id), {})


def _detail(record: MaintenanceRecord, errors: dict[str, str], status: int = 200):
    """The record with its evidence (and the earlier photos a flagged one repeats), and for a
    damage report its repair: arranged (who, by when) and done (the repair record)."""
    session, user = db_session(), staff()
    repair = repair_of(session, record)
    matches = photo_matches(session, record)
    held_by = {match.record_id for found in matches.values() for match in found if match.record_id}
    return render_template(
        "maintenance/detail.html",
        record=record,
        entries=audit.history(session, MAINTENANCE_ENTITY, record.id),
        can_review=user.role in REVIEWERS,
        repair=repair,
        repairers=repairers(session, record.asset) if repair and may_arrange_repair(user, record.asset) else [],
        repaired=reports_repaired_by(session, record),
        matches=matches,
        visible_records=visible_record_ids(session, user, held_by),
        errors=errors,
        form=request.form,
        today=clock.today(),
    ), status


@blueprint.post("/<int:record_id>/repair")
@login_required
def arrange(record_id: int):
    """安排维修: who repairs the reported damage, and by when."""
    session = db_session()
    record = get_visible_record(session, staff(), record_id)
    repair = repair_of(session, record)
    if repair is None:
        abort(404)
    try:
        arrange_repair(
            session,
            staff(),
            repair,
            assignee_id=_int(request.form.get("assignee", "")),
            due_on=_date(request.form.get("due_on", "")),
            today=clock.today(),
            now=clock.now(),
        )
    except Invalid as error:
        session.rollback()
        return _detail(get_visible_record(session, staff(), record_id), error.fields, 422)
    told = "已通过微信告诉对方" if repair.assignee.wechat_openid else "对方未绑定微信，请另行告知"
    flash(f"已安排{repair.assignee.name}在{repair.due_on:%Y年%m月%d日}前修好，{told}。")
    after_commit(push_repair_arranged, repair.id)
    return redirect(url_for("maintenance.detail", record_id=record.id), 303)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


@blueprint.post("/<int:record_id>/doubt")
@login_required
def doubt(record_id: int):
    session = db_session()
    record = get_visible_record(session, staff(), record_id)
    mark_doubtful(session, staff(), record, request.form.get("reason", ""), clock.now())
    flash("已标记为存疑。" if record.doubtful else "已取消存疑标记。")
    return redirect(url_for("maintenance.detail", record_id=record.id))


@blueprint.get("/photos/<token>/original")
@login_required
def original(token: str):
    """The untouched original (with its EXIF), for staff who may see a record that holds it."""
    session = db_session()
    photo = photo_by_token(session, token)
    if photo is None:
        abort(404)
    if not may_see_photo(session, staff(), photo):
        abort(404)
    storage, name = media_storage(), PurePosixPath(photo.original_key).name
    seconds = current_app.config["S3_PRESIGNED_SECONDS"]
    direct = storage.download_url(photo.original_key, name, seconds) if seconds else None
    if direct:
        return redirect(direct, 302)
    try:
        stored = storage.open(photo.original_key)
    except FileNotFoundError:
        abort(404)
    return send_file(stored, mimetype="application/octet-stream", as_attachment=True, download_name=name)
