"""年度考核: towns record their villages' yearly scores, the district its towns'; the grade follows."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from infra.clock import now, today
from infra.database import db_session
from models.access import RATED_BY, ratable_regions
from models.errors import Invalid, NotFound
from models.evaluations.queries import results_in
from models.evaluations.results import FIRST_YEAR, check_year, rate
from models.regions import Region
from web.auth import staff

blueprint = Blueprint("evaluations", __name__, url_prefix="/evaluations")


@blueprint.app_context_processor
def _can_rate() -> dict[str, bool]:
    return {"can_rate": current_user.is_authenticated and current_user.user.role in RATED_BY}


def _year() -> int:
    this_year = today().year
    text = request.values.get("year", str(this_year - 1))
    year = int(text) if text.isascii() and text.isdigit() else 0
    check_year(year, this_year)
    return year


def _page(year: int, errors: dict[int, str] | None = None, status: int = 200):
    session = db_session()
    regions = ratable_regions(session, staff())
    return render_template(
        "evaluations/list.html",
        year=year,
        years=range(today().year, FIRST_YEAR - 1, -1),
        regions=regions,
        results=results_in(session, regions, year),
        errors=errors or {},
    ), status


@blueprint.get("")
@login_required
def index():
    return _page(_year())


@blueprint.post("/<int:region_id>")
@login_required
def record(region_id: int):
    session, year = db_session(), _year()
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound()  # the same answer as for another district's region
    try:
        evaluation = rate(
            session, staff(), region, year, request.form.get("score", ""), this_year=today().year, now=now()
        )
    except Invalid as invalid:
        return _page(year, {region_id: "；".join(invalid.fields.values())}, 422)
    flash(f"已记录：{region.full_name} {year}年度 {evaluation.score}分，等次「{evaluation.grade.label}」。")
    return redirect(url_for("evaluations.index", year=year))
