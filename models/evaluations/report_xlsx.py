"""A report (`reports.Report`) as .xlsx: the towns' table (for the district), the villages'
scores, and every village's items — one header row of Chinese labels each, numbers as numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from models.evaluations.bulletin import Bulletin
from models.evaluations.reports import (
    ITEM_HEADERS,
    TOWN_HEADERS,
    VILLAGE_HEADERS,
    Report,
    item_rows,
    town_row,
    village_row,
)
from models.spreadsheets import inert_cell


def write_report(report: Report, target: str | IO[bytes]) -> None:
    workbook = Workbook(write_only=True)
    if len(report.towns) > 1 or report.honours is not None:
        _sheet(workbook, "各镇评定", TOWN_HEADERS, [town_row(line) for line in report.towns])
    _sheet(workbook, "各村得分", VILLAGE_HEADERS, [village_row(v, e) for v, e in report.villages])
    rows = [row for village, evaluation in report.villages if evaluation for row in item_rows(village, evaluation)]
    _sheet(workbook, "考评明细", ITEM_HEADERS, rows)
    if report.honours is not None:
        named = [["好", r.full_name, s] for r, s in report.honours.excellent]
        named += [["较差", r.full_name, s] for r, s in report.honours.poor]
        _sheet(workbook, "通报名单", ("等次", "单位", "得分"), named)
    workbook.save(target)


def _sheet(workbook: Workbook, title: str, headers: tuple[str, ...], rows: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    header = []
    for label in headers:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([inert_cell(sheet, _value(value)) for value in row])  # reasons typed by people stay text


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def write_bulletin(bulletin: Bulletin, target: str | IO[bytes]) -> None:
    """The 区级通报 as one sheet: the title, year and date, then one row per heading (text cells inert)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("通报")
    rows = [
        ["标题", bulletin.title],
        ["年度", bulletin.year],
        ["正文", bulletin.opening],
        *([heading, names] for heading, names in bulletin.lines()),
        ["发文单位", f"{bulletin.district}乡村振兴局"],
        ["日期", bulletin.date_text],
    ]
    for row in rows:
        sheet.append([inert_cell(sheet, value) for value in row])
    workbook.save(target)
