"""考评表 in the back office: the district office edits a year's sheet of each class, downloads it
as .xlsx in the printed shape, and imports one back; everyone else reads it."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from infra.clock import now, today
from infra.database import db_session
from models.access import require_target_issuer
from models.assets.entities import AssetClass
from models.errors import Invalid, NotFound
from models.evaluations.entities import EVALUATED_CLASSES
from models.evaluations.results import check_year
from models.evaluations.rules import RULE_LABELS
from models.evaluations.sheet_editing import ItemRow, read_sheet_xlsx, replace_items, sheet_in_use, sheet_xlsx
from models.evaluations.sheets import ensure_sheets
from models.people import Role
from models.regions import Region
from models.spreadsheets import UnreadableSpreadsheet
from web.auth import staff

blueprint = Blueprint("evaluation_sheets", __name__, url_prefix="/evaluations")
NEW_ROWS = 2
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(year: int, asset_class: str):
    check_year(year, today().year + 1)
    chosen = AssetClass.from_label(asset_class)
    if chosen not in EVALUATED_CLASSES:
        raise NotFound()
    session, actor = db_session(), staff()
    if actor.role is Role.CUSTODIAN:
        raise NotFound()
    district = session.get_one(Region, actor.region.own_district_id)
    return ensure_sheets(session, district, year, now())[chosen]


@blueprint.get("/<int:year>/sheets/<asset_class>")
@login_required
def sheet_page(year: int, asset_class: str):
    return _page(_sheet(year, asset_class), {}, None, 200)


def _page(sheet, errors: dict[str, str], rows: list[ItemRow] | None, status: int):
    actor = staff()
    return render_template(
        "evaluations/sheet.html",
        sheet=sheet,
        classes=EVALUATED_CLASSES,
        rows=rows
        if rows is not None
        else [ItemRow(i.text, str(i.points), i.guidance, i.id, i.rule) for i in sheet.items],
        new_rows=NEW_ROWS,
        rules=RULE_LABELS,
        may_edit=actor.role is Role.DISTRICT_ADMIN and not sheet_in_use(db_session(), sheet),
        in_use=sheet_in_use(db_session(), sheet),
        errors=errors,
    ), status


def _rows() -> list[ItemRow]:
    """The editor's rows in the order of their 序号 (a blank new row, or one marked 删除, is left out)."""
    form, rows = request.form, []
    for key in form:
        if not key.startswith("text-"):
            continue
        number = key[5:]
        if form.get(f"remove-{number}") or not (form.get(key, "").strip() or form.get(f"points-{number}", "").strip()):
            continue
        order = form.get(f"position-{number}", "").strip()
        item_id = form.get(f"id-{number}", "")
        rows.append(
            (
                int(order) if order.isascii() and order.isdigit() else 10_000,
                len(rows),
                ItemRow(
                    form.get(key, ""),
                    form.get(f"points-{number}", ""),
                    form.get(f"guidance-{number}", ""),
                    int(item_id) if item_id.isascii() and item_id.isdigit() else None,
                    form.get(f"rule-{number}") or None,
                ),
            )
        )
    return [row for _order, _index, row in sorted(rows, key=lambda r: (r[0], r[1]))]


@blueprint.post("/<int:year>/sheets/<asset_class>")
@login_required
def save(year: int, asset_class: str):
    sheet = _sheet(year, asset_class)
    rows = _rows()
    try:
        replace_items(db_session(), staff(), sheet, rows, now())
    except Invalid as invalid:
        return _page(sheet, invalid.fields, rows, 422)
    flash(f"已保存{sheet.year}年度{sheet.asset_class.label}考评表，共{len(sheet.items)}项。")
    return redirect(url_for("evaluation_sheets.sheet_page", year=year, asset_class=asset_class), 303)


@blueprint.get("/<int:year>/sheets/<asset_class>.xlsx")
@login_required
def export(year: int, asset_class: str):
    sheet = _sheet(year, asset_class)
    title = f"{year}年度{sheet.asset_class.label}项目资产后续管理绩效考评表"
    return Response(
        sheet_xlsx(sheet, title),
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename=sheet-{year}-{sheet.asset_class.value}.xlsx"},
    )


@blueprint.post("/<int:year>/sheets/<asset_class>/import")
@login_required
def import_sheet(year: int, asset_class: str):
    sheet = _sheet(year, asset_class)
    require_target_issuer(staff())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(sheet, {"file": "请选择要导入的 .xlsx 文件。"}, None, 422)
    try:
        rows = read_sheet_xlsx(upload.stream, sheet)
        replace_items(db_session(), staff(), sheet, rows, now())
    except UnreadableSpreadsheet as error:
        return _page(sheet, {"file": error.message}, None, 422)
    except Invalid as invalid:
        return _page(sheet, invalid.fields, rows, 422)
    flash(f"已导入{sheet.year}年度{sheet.asset_class.label}考评表，共{len(sheet.items)}项。")
    return redirect(url_for("evaluation_sheets.sheet_page", year=year, asset_class=asset_class), 303)
