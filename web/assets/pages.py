"""Staff pages of the register (台账): list with filters, detail with history, create and edit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from infra.clock import now
from infra.database import db_session
from models import audit
from models.access import get_visible_asset, require_register_editor, visible_villages
from models.assets.entities import Asset, AssetClass, AssetStatus, DisposalMethod, FundingKind
from models.assets.fields import FIELD_LABELS, parse_asset_fields
from models.assets.operations import ENTITY, create_asset, snapshot, update_asset
from models.assets.queries import RegisterFilter, search_assets
from models.catalog import all_subtypes
from models.errors import Invalid
from models.maintenance.queries import recent_records
from models.regions import Region
from web.auth import staff

blueprint = Blueprint("assets", __name__)
PER_PAGE = 20


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        abort(400)
    return int(value)


# The register's yes/no filters: query argument, RegisterFilter attribute, what the box says.
CARE_CHECKS = (
    ("inuse", "in_use_only", "在用"),
    ("overdue", "overdue_only", "巡查逾期"),
    ("ontime", "on_time_only", "巡查按时"),
    ("nocard", "no_card_only", "资产卡未上墙"),
    ("card", "card_only", "资产卡已上墙"),
    ("keeper", "keeper_only", "管护员有账号"),
)


def filter_from_args() -> RegisterFilter:
    return RegisterFilter(
        town_id=_int_arg("town"),
        village_id=_int_arg("village"),
        asset_class=AssetClass.from_label(request.args.get("class", "")) if request.args.get("class") else None,
        subtype_id=_int_arg("subtype"),
        status=AssetStatus.from_label(request.args.get("status", "")) if request.args.get("status") else None,
        year=_int_arg("year"),
        custodian=request.args.get("custodian", "").strip()[:40] or None,
        text=request.args.get("q", "").strip()[:60] or None,
        **{attribute: request.args.get(name) == "1" for name, attribute, _ in CARE_CHECKS},
        sort=request.args.get("sort", "code"),
        page=_int_arg("page") or 1,
        per_page=PER_PAGE,
    )


@blueprint.app_template_global()
def register_args(wanted: RegisterFilter) -> dict[str, str]:
    """The register list's query that shows what `wanted` picks (filter_from_args read back)."""
    args = {
        "town": wanted.town_id,
        "village": wanted.village_id,
        "class": wanted.asset_class.value if wanted.asset_class else None,
        "subtype": wanted.subtype_id,
        "status": wanted.status.value if wanted.status else None,
        "year": wanted.year,
        "custodian": wanted.custodian,
        "q": wanted.text,
        **{name: "1" if getattr(wanted, attribute) else None for name, attribute, _ in CARE_CHECKS},
    }
    return {name: str(value) for name, value in args.items() if value}


def _choices() -> dict:
    session = db_session()
    villages = visible_villages(session, staff())
    towns = {village.parent_id: village.parent for village in villages}
    return {
        "villages": villages,
        "towns": list(towns.values()),
        "subtypes": all_subtypes(session),
        "classes": list(AssetClass),
        "statuses": list(AssetStatus),
        "funding_kinds": list(FundingKind),
        "disposal_methods": list(DisposalMethod),
        "care_checks": CARE_CHECKS,
    }


@blueprint.route("/assets")
@login_required
def index():
    wanted = filter_from_args()
    page = search_assets(db_session(), staff(), wanted, now())
    return render_template("assets/list.html", page=page, wanted=wanted, args=request.args, **_choices())


@blueprint.route("/assets/<int:asset_id>")
@login_required
def detail(asset_id: int):
    session = db_session()
    asset = get_visible_asset(session, staff(), asset_id)
    entries = audit.history(session, ENTITY, asset.id)
    return render_template(
        "assets/detail.html",
        asset=asset,
        records=recent_records(session, asset),
        values=snapshot(asset, asset.village),
        labels=FIELD_LABELS,
        entries=list(reversed(entries)),
        chain_intact=audit.verify_chain(entries),
    )


def _village_from_form(villages: list[Region]) -> Region | None:
    chosen = request.form.get("village_id", "")
    return next((v for v in villages if str(v.id) == chosen), None)


def _save(asset: Asset | None):
    """Validate the posted form and create or update; re-render with reasons on failure."""
    session = db_session()
    choices = _choices()
    subtypes = {s.name: s for s in choices["subtypes"]}
    values, errors = parse_asset_fields(request.form.to_dict(), subtypes)
    village = _village_from_form(choices["villages"])
    if village is None:
        errors["village_id"] = "请选择资产所在的村"
    version = request.form.get("version", "")
    if not errors:
        try:
            if asset is None:
                asset = create_asset(session, staff(), values, village, now())
                flash(f"已登记资产 {asset.code}。")
            else:
                changes = update_asset(
                    session,
                    staff(),
                    asset,
                    values,
                    village,
                    now(),
                    expected_version=int(version) if version.isdigit() else -1,
                )
                flash("已保存修改。" if changes else "没有修改任何内容。")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        except Invalid as error:
            errors.update(error.fields)
    return render_template(
        "assets/form.html", asset=asset, form=request.form, errors=errors, labels=FIELD_LABELS, **choices
    ), 422


@blueprint.route("/assets/new", methods=["GET", "POST"])
@login_required
def create():
    require_register_editor(staff())
    if request.method == "POST":
        return _save(None)
    return render_template("assets/form.html", asset=None, form={}, errors={}, labels=FIELD_LABELS, **_choices())


@blueprint.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit(asset_id: int):
    asset = get_visible_asset(db_session(), staff(), asset_id)
    require_register_editor(staff())
    if request.method == "POST":
        return _save(asset)
    return render_template(
        "assets/form.html", asset=asset, form=form_values(asset), errors={}, labels=FIELD_LABELS, **_choices()
    )


def form_values(asset: Asset) -> dict[str, str]:
    """The asset as the edit form shows it (the same text a person would type)."""
    values = {k: ("" if v is None else v) for k, v in snapshot(asset, asset.village).items()}
    values["village_id"] = str(asset.village_id)
    values["version"] = str(asset.version)
    return {k: str(v) for k, v in values.items()}
