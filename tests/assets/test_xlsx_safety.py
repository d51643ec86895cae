"""Spreadsheets as an attack: text that would run as a formula in an export, a formula planted in
an import, and a workbook that inflates to gigabytes (a decompression bomb) — for every export and
every import (the register, the staff roster)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models.assets.entities import Asset
from models.assets.xlsx_export import export_query, export_register
from models.assets.xlsx_import import import_register
from models.people import Role
from models.spreadsheets import OversizedSpreadsheet, inert_cell
from models.staff.xlsx_import import import_roster
from tests.support.pages import csrf_token, visible_text
from tests.support.register_files import register_row, with_shared_strings, workbook_bytes

PLANTED = ['=HYPERLINK("http://evil.test","点我")', "+1+cmd|'/C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1"]


def test_text_that_begins_like_a_formula_is_exported_as_quoted_text(session, county, build):
    for number, text in enumerate(PLANTED):
        build.asset(county.villages["石桥村"], code=f"F-{number}", name=f"资产{number}", notes=text)
    buffer = io.BytesIO()
    export_register(session, export_query(None, county.district), county.district, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")  # no live formula at all
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    column = next(cell.column for cell in sheet[1] if cell.value == "备注")
    written = {row[column - 1].value: row[column - 1] for row in sheet.iter_rows(min_row=2)}
    assert set(written) == set(session.scalars(select(Asset.notes)))  # (stored trimmed: "\t=1+1" is "=1+1")
    for cell in written.values():
        assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("text", ["\tcmd", "\rcmd", "#N/A", "=1"])
def test_the_one_writer_keeps_any_text_a_plain_string(text):
    sheet = Workbook(write_only=True).create_sheet()
    cell = inert_cell(sheet, text)
    assert (cell.value, cell.data_type) == (text, "s")
    assert cell.quotePrefix == text.startswith(("\t", "\r", "="))
    assert inert_cell(sheet, -12.5) == -12.5  # numbers stay numbers


def test_exported_planted_text_imports_back_as_the_same_text(session, county, build, clock):
    build.asset(county.villages["石桥村"], code="F-1", notes="-（无）", operator="+86 139 0000 0001")
    buffer = io.BytesIO()
    export_register(session, export_query(None, county.district), county.district, buffer)
    session.query(Asset).delete()
    buffer.seek(0)
    report = import_register(session, None, buffer, county.district, clock.now())
    assert not report.errors, report.errors
    asset = session.scalar(select(Asset))
    assert (asset.notes, asset.operator) == ("-（无）", "+86 139 0000 0001")


def test_a_formula_cell_in_an_import_is_refused_by_row_and_column_while_a_negative_or_phone_text_is_fine(
    session, county, build, clock
):
    rows = [register_row(build, notes='=HYPERLINK("http://evil.test")'), register_row(build, notes="-")]
    report = import_register(session, None, workbook_bytes(rows), county.district, clock.now())
    assert report.refused
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "备注", "是公式，请在表格软件中复制后“选择性粘贴为数值”再导入")
    ]


BOMB_ENTRIES = 5_000_000


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A register of one row whose shared strings hold five million entries: ~100 KB on disk."""
    workbook = workbook_bytes([["X-1", "青山镇", "石桥村", "资产"]])
    return with_shared_strings(workbook, BOMB_ENTRIES).getvalue()


def test_a_decompression_bomb_is_refused_before_it_is_read(session, county, clock, bomb):
    assert len(bomb) < 400 * 1024
    with pytest.raises(OversizedSpreadsheet, match="解压后过大") as refused:
        import_register(session, None, io.BytesIO(bomb), county.district, clock.now())
    assert refused.value.status == 413


def test_too_many_shared_strings_are_refused_even_when_stored_uncompressed(session, county, clock):
    stored = with_shared_strings(workbook_bytes([["X-1"]]), 1_100_000, deflate=False)
    with pytest.raises(OversizedSpreadsheet, match="文字超过1000000条"):
        import_register(session, None, stored, county.district, clock.now())


@pytest.mark.parametrize("page", ["/register/import", "/staff/import"])
def test_every_upload_page_refuses_a_bomb_with_413_in_chinese(page, client, session, county, build, login_as, bomb):
    login_as(build.user(Role.DISTRICT_ADMIN, county.district))
    token = csrf_token(client, page)
    response = client.post(
        page, data={"csrf_token": token, "file": (io.BytesIO(bomb), "名单.xlsx")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert "解压后过大" in visible_text(response.get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_the_staff_roster_import_refuses_a_bomb(session, county, build, clock, bomb):
    with pytest.raises(OversizedSpreadsheet):
        import_roster(session, build.user(Role.DISTRICT_ADMIN, county.district), io.BytesIO(bomb), clock.now())
