"""Staff pages to import the register from .xlsx and export it as .xlsx."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request, send_file
from flask_login import fresh_login_required, login_required
from sqlalchemy.orm import Session

from infra.clock import now
from infra.database import db_session
from models.access import require_register_editor
from models.assets.xlsx_export import export_query, export_register
from models.assets.xlsx_import import DEFAULT_MAX_BYTES, UnreadableRegister, import_register
from models.people import User
from models.regions import Region
from web.assets.pages import filter_from_args
from web.auth import staff

blueprint = Blueprint("assets_xlsx", __name__, url_prefix="/register")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 1000  # rows of problems listed on the page; the count covers them all


def _district(session: Session, actor: User) -> Region:
    return session.get_one(Region, actor.region.own_district_id)


@blueprint.route("/import", methods=["GET", "POST"])
@login_required
def import_view():
    actor = staff()
    require_register_editor(actor)
    if request.method == "GET":
        return render_template("assets/import.html", report=None, problem=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("assets/import.html", report=None, problem="请选择要导入的 .xlsx 文件。"), 422
    session = db_session()
    try:
        report = import_register(
            session,
            actor,
            upload.stream,
            _district(session, actor),
            now(),
            valid_only=request.form.get("valid_only") == "1",
            create_villages=request.form.get("create_villages") == "1",
            max_bytes=current_app.config.get("REGISTER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
        )
    except UnreadableRegister as error:
        return render_template("assets/import.html", report=None, problem=error.message), error.status
    return render_template(
        "assets/import.html", report=report, problem=None, shown_errors=report.errors[:SHOWN_ERRORS]
    ), (422 if report.refused else 200)


@blueprint.route("/export")
@fresh_login_required  # a session made by WeChat confirms the password first
def export_view():
    actor = staff()
    session = db_session()
    buffer = io.BytesIO()
    district = _district(session, actor)
    export_register(session, export_query(actor, district, filter_from_args()), district, buffer)
    buffer.seek(0)
    name = f"资产台账-{now().astimezone(ZoneInfo(current_app.config['TIMEZONE'])):%Y%m%d}.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)
