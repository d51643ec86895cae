"""The district office edits its score sheets: add, remove, reorder, reword, change points — the
total exactly 100. A sheet used by a signed evaluation no longer changes (next year's still can).
Also the .xlsx shape counties print: 序号, 考评内容, 分值, 评分标准, 得分, 扣分原因."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from models import audit
from models.access import require_target_issuer
from models.assets.fields import text_of
from models.errors import DomainError, Invalid
from models.evaluations.entities import (
    EDITABLE,
    MAX_ITEM_TEXT,
    ItemScore,
    ScoreSheet,
    SheetItem,
    VillageEvaluation,
)
from models.evaluations.results import parse_score
from models.evaluations.rules import RULES
from models.evaluations.sheets import FULL_MARKS
from models.people import User
from models.spreadsheets import UnreadableSpreadsheet, inert_cell, normalize_label, open_workbook

ENTITY = "score_sheet"
MAX_ITEMS = 30
MAX_GUIDANCE = 1000
COLUMNS = ("序号", "考评内容", "分值", "评分标准", "得分", "扣分原因")
MAX_XLSX_BYTES = 2 * 1024 * 1024


class SheetInUse(DomainError):
    status = 409


@dataclass(frozen=True)
class ItemRow:
    """One item as the editor (or a spreadsheet) gives it; `item_id` None for a new item."""

    text: str
    points: str
    guidance: str = ""
    item_id: int | None = None
    rule: str | None = None


def sheet_in_use(session: Session, sheet: ScoreSheet) -> bool:
    """Whether an evaluation scored on this sheet went to be signed (and was not reopened since)."""
    submitted = (
        select(ItemScore.id)
        .join(SheetItem, SheetItem.id == ItemScore.item_id)
        .join(VillageEvaluation, VillageEvaluation.id == ItemScore.evaluation_id)
        .where(SheetItem.sheet_id == sheet.id, VillageEvaluation.status.not_in(EDITABLE))
    )
    return bool(session.scalar(select(exists(submitted))))


def replace_items(session: Session, actor: User, sheet: ScoreSheet, rows: list[ItemRow], now: dt.datetime) -> None:
    """The sheet's items become `rows`, in that order; refused whole when any row is wrong or the
    points do not add up to 100."""
    require_target_issuer(actor)
    if sheet.district_id != actor.region_id:
        raise Invalid({"sheet": "只能修改本区的考评表。"})
    if sheet_in_use(session, sheet):
        raise SheetInUse(
            f"{sheet.year}年度{sheet.asset_class.label}考评表已用于提交签字的自评，不能再修改；可修改下一年度的考评表。"
        )
    errors: dict[str, str] = {}
    parsed: list[tuple[ItemRow, Decimal]] = []
    if not rows:
        errors["items"] = "考评表至少要有一项。"
    if len(rows) > MAX_ITEMS:
        errors["items"] = f"考评表最多{MAX_ITEMS}项。"
    for number, row in enumerate(rows, start=1):
        text, guidance = row.text.strip(), row.guidance.strip()
        if not text or len(text) > MAX_ITEM_TEXT or not text.isprintable():
            errors[f"text-{number}"] = f"第{number}项：考评内容应为1到{MAX_ITEM_TEXT}个字。"
        if len(guidance) > MAX_GUIDANCE:
            errors[f"guidance-{number}"] = f"第{number}项：评分标准最多{MAX_GUIDANCE}字。"
        if row.rule is not None and row.rule not in RULES:
            errors[f"rule-{number}"] = f"第{number}项：没有这条证据规则。"
        try:
            points = parse_score(row.points, FULL_MARKS)
        except Invalid:
            errors[f"points-{number}"] = f"第{number}项：分值应为0到100之间的数，最多一位小数。"
            continue
        if points == 0:
            errors[f"points-{number}"] = f"第{number}项：分值应大于0。"
        parsed.append((row, points))
    total = sum((points for _row, points in parsed), Decimal(0))
    if not errors and total != FULL_MARKS:
        errors["total"] = f"各项分值合计应为100分，现在是{total}分，请调整。"
    if errors:
        raise Invalid(errors)
    before = [(i.text, str(i.points)) for i in sheet.items]
    kept = {item.id: item for item in sheet.items}
    wanted_ids = {row.item_id for row, _ in parsed if row.item_id in kept}
    _drop_items(session, [item for item_id, item in kept.items() if item_id not in wanted_ids])
    items = []
    for position, (row, points) in enumerate(parsed, start=1):
        item = kept.get(row.item_id) if row.item_id is not None else None
        if item is None:
            item = SheetItem(rule=row.rule, parameters={})
        elif row.rule is not None:
            item.rule = row.rule
        item.position, item.text, item.points, item.guidance = position, row.text.strip(), points, row.guidance.strip()
        items.append(item)
    sheet.items = items
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=sheet.id,
        action="edit",
        now=now,
        changes={"之前": before, "之后": [(i.text, str(i.points)) for i in items]},
    )


def _drop_items(session: Session, items: list[SheetItem]) -> None:
    """Remove items, and their scores on forms still being filled in (a submitted form locks the sheet)."""
    ids = [item.id for item in items]
    if not ids:
        return
    drafts = select(VillageEvaluation.id).where(VillageEvaluation.status.in_(EDITABLE))  # the only ones left
    session.execute(
        delete(ItemScore)
        .where(ItemScore.item_id.in_(ids), ItemScore.evaluation_id.in_(drafts))
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def sheet_xlsx(sheet: ScoreSheet, title: str) -> bytes:
    """The sheet as counties print it: a title row, then 序号 … 扣分原因, then 合计."""
    book = Workbook()
    page = book.active
    page.title = sheet.asset_class.label
    page.append([title])
    page["A1"].font = Font(bold=True, size=14)
    page.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    page.append(list(COLUMNS))
    for item in sheet.items:
        row = [item.position, item.text, float(item.points), item.guidance, None, None]
        page.append([inert_cell(page, value) for value in row])  # a district's text never runs as a formula
    page.append(["合计", None, float(sheet.total), None, None, None])
    for column, width in zip("ABCDEF", (6, 36, 8, 50, 8, 24), strict=True):
        page.column_dimensions[column].width = width
    for row in page.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_sheet_xlsx(source: IO[bytes], sheet: ScoreSheet) -> list[ItemRow]:
    """Items read from a sheet in the printed shape (our export or a county's own); items whose
    text matches an existing one keep it (and its evidence rule)."""
    book = open_workbook(source, MAX_XLSX_BYTES)
    try:
        rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    finally:
        book.close()
    header = next((n for n, row in enumerate(rows) if "考评内容" in [normalize_label(v) for v in row]), None)
    if header is None:
        raise UnreadableSpreadsheet("没有找到表头（序号、考评内容、分值、评分标准）。")
    labels = [normalize_label(v) for v in rows[header]]
    if "分值" not in labels:
        raise UnreadableSpreadsheet("表头缺少“分值”一列。")
    text_at, points_at = labels.index("考评内容"), labels.index("分值")
    guidance_at = labels.index("评分标准") if "评分标准" in labels else None
    existing = {item.text: item for item in sheet.items}
    items = []
    for row in rows[header + 1 :]:
        text = text_of(row[text_at]) if text_at < len(row) else ""
        first = text_of(row[0]) if row else ""
        if not text or first.replace(" ", "") in ("合计", "总计"):
            continue
        points = text_of(row[points_at]) if points_at < len(row) else ""
        guidance = text_of(row[guidance_at]) if guidance_at is not None and guidance_at < len(row) else ""
        known = existing.get(text.strip())
        items.append(ItemRow(text, points, guidance, item_id=known.id if known else None))
    return items
