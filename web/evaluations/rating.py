"""评定: the district office's table of its towns (rate each, reopen with a reason), the 通报
lists, which department scores which item, and a department's page for the items of its trade."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from infra.clock import now, today
from infra.database import db_session
from models.access import require_district_rater
from models.errors import Invalid, NotFound
from models.evaluations.bulletin import bulletin
from models.evaluations.entities import ItemScore
from models.evaluations.rating import (
    assign_trade,
    district_table,
    honours,
    rate_town,
    reopen_town,
    score_trade_item,
    set_weights,
    trade_items,
    trade_scores,
)
from models.evaluations.report_pdf import print_bulletin
from models.evaluations.report_xlsx import write_bulletin
from models.evaluations.sheets import ensure_sheets
from models.people import Department, Role
from models.regions import Region, RegionLevel
from web.auth import staff
from web.evaluations.reports import MIMETYPES, send_document
from web.evaluations.review import requested_year

blueprint = Blueprint("evaluation_rating", __name__, url_prefix="/evaluations/rating")


def _district() -> Region:
    actor = staff()
    district = db_session().get_one(Region, actor.region_id)
    require_district_rater(actor, district)
    return district


def _page(year: int, errors: dict | None = None, status: int = 200):
    session, district = db_session(), _district()
    return render_template(
        "evaluations/rating.html",
        year=year,
        district=district,
        lines=district_table(session, district, year),
        honours=honours(session, district, year),
        errors=errors or {},
    ), status


@blueprint.get("")
@login_required
def index():
    if staff().role is Role.DEPARTMENT:
        return redirect(url_for("evaluation_rating.department", year=requested_year()))
    return _page(requested_year())


@blueprint.get("/bulletin.<fmt>")
@login_required
def bulletin_download(fmt: str):
    """The 区级通报 of the year's rating, for the district office alone."""
    if fmt not in MIMETYPES:
        abort(404)
    year = requested_year()
    notice = bulletin(db_session(), _district(), year, today())
    return send_document(fmt, notice.title, lambda: print_bulletin(notice), lambda out: write_bulletin(notice, out))


def _town(town_id: int) -> Region:
    town = db_session().get(Region, town_id)
    if town is None or town.level is not RegionLevel.TOWN:
        raise NotFound()
    require_district_rater(staff(), town)
    return town


@blueprint.post("/town/<int:town_id>")
@login_required
def rate(town_id: int):
    town, year = _town(town_id), requested_year()
    try:
        result = rate_town(
            db_session(), staff(), town, year, request.form.get("score", ""), request.form.get("reason", ""), now=now()
        )
    except Invalid as invalid:
        return _page(year, {town_id: "；".join(invalid.fields.values())}, 422)
    flash(f"已评定：{town.name} {result.score}分，等次「{result.grade.label}」。")
    return redirect(url_for("evaluation_rating.index", year=year))


@blueprint.post("/town/<int:town_id>/reopen")
@login_required
def reopen(town_id: int):
    town, year = _town(town_id), requested_year()
    try:
        reopen_town(db_session(), staff(), town, year, request.form.get("reason", ""), now=now())
    except Invalid as invalid:
        return _page(year, {town_id: "；".join(invalid.fields.values())}, 422)
    flash(f"已重新开启{town.name}的评定。")
    return redirect(url_for("evaluation_rating.index", year=year))


@blueprint.route("/trades", methods=["GET", "POST"])
@login_required
def trades():
    session, district, year = db_session(), _district(), requested_year()
    sheets = ensure_sheets(session, district, year, now())
    departments = session.scalars(
        select(Department).where(Department.district_id == district.id).order_by(Department.id)
    ).all()
    if request.method == "POST":
        typed = {asset_class: request.form.get(f"weight-{asset_class.value}", "") for asset_class in sheets}
        try:
            set_weights(session, staff(), district, year, typed, now=now())
        except Invalid as invalid:
            return render_template(
                "evaluations/trades.html", year=year, sheets=sheets, departments=departments, errors=invalid.fields
            ), 422
        for sheet in sheets.values():
            for item in sheet.items:
                chosen = request.form.get(f"item-{item.id}", "")
                department_id = int(chosen) if chosen.isascii() and chosen.isdigit() else None
                assign_trade(session, staff(), item.id, department_id, now=now())
        flash("已保存考评表权重和各项目的评分部门。")
        return redirect(url_for("evaluation_rating.trades", year=year))
    return render_template("evaluations/trades.html", year=year, sheets=sheets, departments=departments, errors={})


@blueprint.get("/department")
@login_required
def department():
    return _department_page(requested_year(), request.args.get("town", ""), {}, 200)


def _department_page(year: int, town_id: str, errors: dict[int, str], status: int):
    session, actor = db_session(), staff()
    items = trade_items(session, actor, year)
    towns = session.scalars(
        select(Region).where(Region.parent_id == actor.region_id, Region.level == RegionLevel.TOWN).order_by(Region.id)
    ).all()
    town = next((t for t in towns if str(t.id) == town_id), towns[0] if towns else None)
    scores = trade_scores(session, actor, year, town) if town is not None and items else []
    return render_template(
        "evaluations/department.html", year=year, items=items, towns=towns, town=town, scores=scores, errors=errors
    ), status


@blueprint.post("/score/<int:score_id>")
@login_required
def score_item(score_id: int):
    session, actor = db_session(), staff()
    if actor.role is not Role.DEPARTMENT:
        raise NotFound()
    try:
        score = score_trade_item(
            session, actor, score_id, request.form.get("score", ""), request.form.get("reason", ""), now=now()
        )
    except Invalid as invalid:
        score = session.get_one(ItemScore, score_id)
        errors = {score_id: "；".join(invalid.fields.values())}
        return _department_page(score.evaluation.year, str(score.evaluation.town_id), errors, 422)
    evaluation = score.evaluation
    flash(f"已保存：{evaluation.village.name} {score.item.text}，村得分 {evaluation.score}。")
    return redirect(url_for("evaluation_rating.department", year=evaluation.year, town=evaluation.town_id))
