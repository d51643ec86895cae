"""Downloads of the evaluation's reports as .pdf or .xlsx: a town's (本镇项目资产绩效自评材料;
its officials and the district office), a village's (its staff, its town, the district office)
and the district's table with every village (the district office and its departments)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO

from flask import Blueprint, abort, send_file
from flask_login import login_required

from infra.database import db_session
from models.access import require_report_reader
from models.errors import NotFound
from models.evaluations import reports
from models.evaluations.report_pdf import print_report
from models.evaluations.report_xlsx import write_report
from models.regions import Region, RegionLevel
from web.auth import staff
from web.evaluations.review import requested_year

blueprint = Blueprint("evaluation_reports", __name__, url_prefix="/evaluations/report")
MIMETYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@blueprint.get("/town.<fmt>")
@login_required
def town_report(fmt: str):
    """The signed-in official's own town."""
    return region_report(staff().region_id, fmt)


@blueprint.get("/<int:region_id>.<fmt>")
@login_required
def region_report(region_id: int, fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    session, year = db_session(), requested_year()
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound()
    require_report_reader(staff(), region)
    if region.level is RegionLevel.DISTRICT:
        report = reports.district_report(session, region, year, items=fmt == "xlsx")
    elif region.level is RegionLevel.TOWN:
        report = reports.town_report(session, region, year)
    else:
        report = reports.village_report(session, region, year)
    return send_document(fmt, report.title, lambda: print_report(report), lambda out: write_report(report, out))


def send_document(fmt: str, title: str, printed: Callable[[], bytes], written: Callable[[IO[bytes]], None]):
    """A download named `title`: the PDF `printed` makes, or the .xlsx `written` writes."""
    if fmt == "pdf":
        data = printed()
    else:
        out = io.BytesIO()
        written(out)
        data = out.getvalue()
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=f"{title}.{fmt}")
