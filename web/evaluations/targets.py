"""绩效目标: the district office issues every village's targets; each industry department marks
which assets of its trade in each village enter the year's evaluation; villages see theirs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from bot.after_commit.evaluations import push_targets_issued, push_village_targets_changed
from infra.clock import now, today
from infra.database import after_commit, db_session
from models.access import asset_scope, require_target_issuer, visible_villages
from models.assets.entities import Asset
from models.errors import Invalid, NotFound
from models.evaluations.entities import EVALUATED_CLASSES, EvaluatedAsset
from models.evaluations.results import check_year
from models.evaluations.rules import DEFAULT_TARGETS, TARGET_LABELS
from models.evaluations.targets import (
    confirm_trade_list,
    issue_targets,
    mark_assets,
    parse_targets,
    set_village_targets,
    target_of,
)
from models.people import Role
from models.regions import Region, RegionLevel
from web.auth import staff

blueprint = Blueprint("evaluation_targets", __name__, url_prefix="/evaluations")


@blueprint.get("/<int:year>/targets")
@login_required
def targets_page(year: int):
    return _page(year, {}, 200)


def _page(year: int, errors: dict[str, str], status: int):
    check_year(year, today().year + 1)
    session, actor = db_session(), staff()
    villages = visible_villages(session, actor) if actor.role is not Role.CUSTODIAN else []
    targets = {v.id: target for v in villages if (target := target_of(session, v, year)) is not None}
    issued = {village_id: target for village_id, target in targets.items() if target.issued_at is not None}
    shared = [t.values for t in issued.values() if t.own_values_at is None or actor.role is not Role.DISTRICT_ADMIN]
    shown = next(iter(shared), None) or DEFAULT_TARGETS
    return render_template(
        "evaluations/targets.html",
        year=year,
        villages=villages,
        issued=issued,
        own={village_id for village_id, target in targets.items() if target.own_values_at is not None},
        values=request.form or shown,
        labels=TARGET_LABELS,
        may_issue=actor.role is Role.DISTRICT_ADMIN,
        may_mark=actor.role in (Role.DEPARTMENT, Role.DISTRICT_ADMIN),
        errors=errors,
    ), status


@blueprint.post("/<int:year>/targets")
@login_required
def issue(year: int):
    check_year(year, today().year + 1)
    session, actor = db_session(), staff()
    try:
        targets = issue_targets(session, actor, year, parse_targets(request.form), now())
    except Invalid as invalid:
        return _page(year, invalid.fields, 422)
    after_commit(push_targets_issued, actor.region_id, year)
    flash(f"已向{len(targets)}个村（社区）下达{year}年度绩效目标。")
    return redirect(url_for("evaluation_targets.targets_page", year=year), 303)


@blueprint.route("/<int:year>/targets/villages/<int:village_id>/values", methods=["GET", "POST"])
@login_required
def village_values(year: int, village_id: int):
    """One village's own target values, set by the district office before or after issuing."""
    check_year(year, today().year + 1)
    session, actor = db_session(), staff()
    require_target_issuer(actor)
    village = _visible_village(session, actor, village_id)
    target, errors = target_of(session, village, year), {}
    if request.method == "POST":
        try:
            target = set_village_targets(session, actor, village, year, parse_targets(request.form), now())
        except Invalid as invalid:
            errors = invalid.fields
        else:
            if target.issued_at is not None:
                after_commit(push_village_targets_changed, village.id, year, target.own_values_at.isoformat())
            flash(f"已调整{village.full_name}{year}年度的绩效目标值。")
            return redirect(url_for("evaluation_targets.targets_page", year=year), 303)
    values = request.form or (target.values if target is not None and target.values else DEFAULT_TARGETS)
    return render_template(
        "evaluations/village_targets.html",
        year=year,
        village=village,
        target=target,
        values=values,
        labels=TARGET_LABELS,
        errors=errors,
    ), 422 if errors else 200


def _visible_village(session, actor, village_id: int) -> Region:
    village = session.get(Region, village_id)
    if village is None or village.level is not RegionLevel.VILLAGE or village not in visible_villages(session, actor):
        raise NotFound()
    return village


@blueprint.route("/<int:year>/targets/villages/<int:village_id>", methods=["GET", "POST"])
@login_required
def village_assets(year: int, village_id: int):
    check_year(year, today().year + 1)
    session, actor = db_session(), staff()
    village = _visible_village(session, actor, village_id)
    errors = {}
    if request.method == "POST":
        chosen = {int(v) for v in request.form.getlist("asset_id") if v.isascii() and v.isdigit()}
        try:
            count = mark_assets(session, actor, village, year, chosen, now())
        except Invalid as invalid:
            errors = invalid.fields
        else:
            flash(f"已确定{village.full_name}纳入{year}年度评价的资产{count}项。")
            return redirect(url_for("evaluation_targets.village_assets", year=year, village_id=village.id), 303)
    assets = session.scalars(
        select(Asset)
        .where(asset_scope(actor), Asset.village_id == village.id, Asset.asset_class.in_(EVALUATED_CLASSES))
        .order_by(Asset.code)
    ).all()
    marked = set(
        session.scalars(
            select(EvaluatedAsset.asset_id).where(EvaluatedAsset.year == year, EvaluatedAsset.village_id == village.id)
        )
    )
    return render_template(
        "evaluations/village_assets.html", year=year, village=village, assets=assets, marked=marked, errors=errors
    ), 422 if errors else 200


@blueprint.post("/<int:year>/targets/confirm")
@login_required
def confirm(year: int):
    check_year(year, today().year + 1)
    confirm_trade_list(db_session(), staff(), year, now())
    flash(f"已确认本行业{year}年度纳入评价的资产清单。")
    return redirect(url_for("evaluation_targets.targets_page", year=year), 303)
