"""The district office edits a sheet: add, remove, reorder, reword, points summing to exactly 100;
a submitted evaluation locks its year's sheet; .xlsx out and back in the printed shape."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from models.assets.entities import AssetClass
from models.errors import Forbidden, Invalid
from models.evaluations.sheet_editing import ItemRow, SheetInUse, read_sheet_xlsx, replace_items, sheet_xlsx
from models.evaluations.sheets import ensure_sheets
from models.people import Role
from models.spreadsheets import UnreadableSpreadsheet


@pytest.fixture
def admin(build, county):
    return build.user(Role.DISTRICT_ADMIN, county.district)


@pytest.fixture
def sheet(session, county, clock):
    return ensure_sheets(session, county.district, 2027, clock.now())[AssetClass.PUBLIC_BENEFIT]


def rows_of(sheet) -> list[ItemRow]:
    return [ItemRow(i.text, str(i.points), i.guidance, i.id) for i in sheet.items]


def test_add_remove_reorder_and_reword_keeping_the_rules(session, admin, sheet, clock):
    rows = rows_of(sheet)
    rows = [rows[1], rows[0], *rows[3:]]  # the third removed, the first two swapped
    rows[0] = ItemRow("日常管护制度落实到位", "12.5", "按周期巡查", rows[0].item_id)
    rows.append(ItemRow("资产卡上墙", "12.5", "每项资产卡都已上墙"))
    replace_items(session, admin, sheet, rows, clock.now())
    assert [i.text for i in sheet.items][:2] == ["日常管护制度落实到位", "明确村级组织管护主体责任"]
    assert sheet.items[0].rule == "daily_custody" and sheet.items[-1].rule is None
    assert len(sheet.items) == 8 and sheet.total == Decimal(100)
    assert [i.position for i in sheet.items] == list(range(1, 9))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda rows: rows[:-1], "total", "各项分值合计应为100分，现在是87.5分"),
        (lambda rows: [ItemRow("", "12.5"), *rows[1:]], "text-1", "考评内容应为1到200个字"),
        (lambda rows: [ItemRow("x", "abc"), *rows[1:]], "points-1", "分值应为0到100之间的数"),
        (lambda rows: [ItemRow("x", "0"), *rows[1:]], "points-1", "分值应大于0"),
        (lambda rows: [], "items", "至少要有一项"),
    ],
)
def test_a_bad_sheet_is_refused_whole(session, admin, sheet, clock, change, field, message):
    before = [(i.text, i.points) for i in sheet.items]
    with pytest.raises(Invalid) as refused:
        replace_items(session, admin, sheet, change(rows_of(sheet)), clock.now())
    assert message in refused.value.fields[field]
    assert [(i.text, i.points) for i in sheet.items] == before


def test_only_the_district_office_edits_and_a_submitted_evaluation_locks_the_year(
    session, admin, build, county, people, submitted, clock
):
    this_year = ensure_sheets(session, county.district, 2026, clock.now())[AssetClass.PUBLIC_BENEFIT]
    with pytest.raises(Forbidden):
        replace_items(session, people.town, this_year, rows_of(this_year), clock.now())
    submitted()
    with pytest.raises(SheetInUse):
        replace_items(session, admin, this_year, rows_of(this_year), clock.now())
    next_year = ensure_sheets(session, county.district, 2027, clock.now())[AssetClass.PUBLIC_BENEFIT]
    replace_items(session, admin, next_year, rows_of(next_year), clock.now())  # next year's still can


def test_the_sheet_goes_out_and_comes_back_in_the_printed_shape(session, admin, sheet, clock):
    data = sheet_xlsx(sheet, "2027年度公益性项目资产后续管理绩效考评表")
    page = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in page[2]] == ["序号", "考评内容", "分值", "评分标准", "得分", "扣分原因"]
    assert page.cell(3, 2).value == "明确村级组织管护主体责任" and page.cell(11, 1).value == "合计"
    page.cell(3, 3).value, page.cell(4, 3).value = 20, 5
    out = io.BytesIO()
    page.parent.save(out)
    rows = read_sheet_xlsx(io.BytesIO(out.getvalue()), sheet)
    replace_items(session, admin, sheet, rows, clock.now())
    assert [str(i.points) for i in sheet.items[:2]] == ["20.0", "5.0"] and sheet.items[0].rule == "custodian_coverage"


def test_a_county_sheet_without_our_header_is_refused_clearly(sheet):
    book = Workbook()
    book.active.append(["项目", "分数"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(UnreadableSpreadsheet) as refused:
        read_sheet_xlsx(io.BytesIO(out.getvalue()), sheet)
    assert "没有找到表头" in refused.value.message
    with pytest.raises(UnreadableSpreadsheet):
        read_sheet_xlsx(io.BytesIO(b"not a workbook"), sheet)


def test_an_item_written_like_a_formula_goes_out_as_text(session, admin, sheet, clock):
    rows = rows_of(sheet)
    planted = '=HYPERLINK("http://evil.example","点此查看")'
    rows[0] = ItemRow(planted, str(rows[0].points), "-按台账核对", rows[0].item_id)
    replace_items(session, admin, sheet, rows, clock.now())
    page = load_workbook(io.BytesIO(sheet_xlsx(sheet, "考评表"))).active
    text, guidance = page.cell(3, 2), page.cell(3, 4)
    assert text.data_type == "s" and text.value.startswith("=HYPERLINK") and text.quotePrefix
    assert guidance.data_type == "s" and guidance.value == "-按台账核对"
