"""Staff pages for maintenance records: review the evidence, mark doubtful records, see originals."""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import func, select

from infra.clock import now
from infra.database import db_session
from infra.storage import media_storage
from models import audit
from models.access import REVIEWERS
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord
from models.maintenance.operations import MAINTENANCE_ENTITY, mark_doubtful
from models.maintenance.queries import get_visible_record, records_with_photo, visible_records
from models.photos import photo_by_token
from web.auth import staff

blueprint = Blueprint("maintenance", __name__, url_prefix="/maintenance")
PER_PAGE = 20


@blueprint.get("")
@login_required
def index():
    session = db_session()
    query = visible_records(staff())
    shown = request.args.get("show", "")
    if shown == "flagged":
        query = query.where(MaintenanceRecord.flagged)
    elif shown == "doubtful":
        query = query.where(MaintenanceRecord.doubtful)
    kind = MaintenanceKind.from_label(request.args.get("kind", "")) if request.args.get("kind") else None
    if kind:
        query = query.where(MaintenanceRecord.kind == kind)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and len(page) < 7 else 1
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    records = session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template(
        "maintenance/list.html",
        records=records,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        shown=shown,
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
    visible = session.scalar(
        visible_records(staff()).where(MaintenanceRecord.id.in_(records_with_photo(photo))).limit(1)
    )
    if visible is None:
        abort(404)
    return send_file(
        media_storage().open(photo.original_key),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=PurePosixPath(photo.original_key).name,
    )
