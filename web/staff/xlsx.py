"""导入人员: the roster a town keeps (姓名, 手机号, 角色, 镇, 村) as accounts, each with a one-time
link to set its password, shown once on the result page to be passed on."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import fresh_login_required

from infra.clock import now
from infra.database import db_session
from models.access import require_staff_manager
from models.spreadsheets import UnreadableSpreadsheet
from models.staff.operations import password_link
from models.staff.xlsx_import import import_roster
from web.auth import staff

blueprint = Blueprint("staff_xlsx", __name__, url_prefix="/staff")
SHOWN_ERRORS = 500


@blueprint.route("/import", methods=["GET", "POST"])
@fresh_login_required
def import_view():
    actor = staff()
    require_staff_manager(actor)
    if request.method == "GET":
        return render_template("staff/import.html", report=None, problem=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("staff/import.html", report=None, problem="请选择要导入的 .xlsx 文件。"), 422
    try:
        report = import_roster(
            db_session(), actor, upload.stream, now(), valid_only=request.form.get("valid_only") == "1"
        )
    except UnreadableSpreadsheet as error:
        return render_template("staff/import.html", report=None, problem=error.message), error.status
    base = current_app.config["PUBLIC_BASE_URL"]
    return render_template(
        "staff/import.html",
        report=report,
        problem=None,
        shown_errors=report.errors[:SHOWN_ERRORS],
        links=[(issued.link, password_link(base, issued.token)) for issued in report.created],
    ), (422 if report.refused else 200)
