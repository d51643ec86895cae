"""Staff pages for maintenance records: review the evidence, mark doubtful records, see originals."""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from infra.clock import now
from infra.database import db_session
from infra.storage import media_storage
from models import audit
from models.access import REVIEWERS
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import MAINTENANCE_ENTITY, mark_doubtful
from models.maintenance.queries import NEWEST_FIRST, Shown, get_visible_record, may_see_photo, visible_records
from models.paging import page_number, page_of
from models.photos import photo_by_token
from web.auth import staff

blueprint = Blueprint("maintenance", __name__, url_prefix="/maintenance")
PER_PAGE = 20


@blueprint.get("")
@login_required
def index():
    shown = Shown.from_label(request.args.get("show", "")) if request.args.get("show") else None
    kind = MaintenanceKind.from_label(request.args.get("kind", "")) if request.args.get("kind") else None
    query = visible_records(staff(), shown, kind)
    page = page_of(db_session(), query, page_number(request.args.get("page")), PER_PAGE, NEWEST_FIRST)
    return render_template(
        "maintenance/list.html",
        page=page,
        args=request.args,
        shown=shown,
        shows=list(Shown),
        kind=kind,
        kinds=list(MaintenanceKind),
    )


@blueprint.get("/<int:record_id>")
@login_required
def detail(record_id: int):
    session = db_session()
    record = get_visible_record(session, staff(), record_id)
    return render_template(
        "maintenance/detail.html",
        record=record,
        entries=audit.history(session, MAINTENANCE_ENTITY, record.id),
        can_review=staff().role in REVIEWERS,
    )


@blueprint.post("/<int:record_id>/doubt")
@login_required
def doubt(record_id: int):
    session = db_session()
    record = get_visible_record(session, staff(), record_id)
    mark_doubtful(session, staff(), record, request.form.get("reason", ""), now())
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
    return send_file(
        media_storage().open(photo.original_key),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=PurePosixPath(photo.original_key).name,
    )
