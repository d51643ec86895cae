"""Exporting the register as .xlsx: values as people type them, only what the user may see, and a
file that imports back exactly; plus the upload and download pages and the CLI."""

import io

from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from models.assets.entities import Asset, AssetFunding
from models.assets.xlsx_export import COLUMN_LABELS, COLUMNS, export_query, export_register
from models.assets.xlsx_import import import_register
from models.people import Role
from tests.support.pages import csrf_token
from tests.support.register_files import SAMPLE, register_row, workbook_bytes
from web.cli import cli


def cells(data: bytes) -> list[list]:
    """Every cell of the first sheet, each row padded to the header's width."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [row + [None] * (len(rows[0]) - len(row)) for row in rows]


def export_district(session, county) -> bytes:
    buffer = io.BytesIO()
    export_register(session, export_query(None, county.district), county.district, buffer)
    return buffer.getvalue()


def varied_assets(build, county) -> None:
    """Assets that use every kind of field: amounts, GPS, operators, disposal, notes."""
    build.asset(
        county.villages["石桥村"],
        code="SQ-001",
        original_value="18.3",
        hamlet="新屯",
        fundings="财政专项扶贫资金 10、对口帮扶 8.3",
        latitude="23.123456",
        longitude="108.654321",
        beneficiary_poor_households="35",
        notes="村口至新屯，长1.2公里",
    )
    build.asset(
        county.villages["新塘村"],
        code="XT-002",
        name="新塘村光伏电站",
        asset_class="经营性",
        subtype="光伏电站",
        operator="委托经营：某某农业有限公司",
        original_value="0.05",
        project_year="2019",
        fundings="地方政府债券",
        ownership_confirmed="是",
        card_on_wall="否",
    )
    build.asset(
        county.villages["平安社区"],
        code="PA-003",
        status="已处置",
        disposed_on="2024-06-30",
        disposal_method="报废",
        original_value="123456.78",
        custodian_phone="0771-5551234",
    )


def test_export_has_chinese_headers_and_values_as_people_type_them(session, county, build):
    varied_assets(build, county)
    rows = cells(export_district(session, county))
    assert rows[0] == [COLUMN_LABELS[name] for name in COLUMNS]
    assert rows[0][:4] == ["资产编号", "镇（乡）", "村（社区）", "资产名称"]
    shown = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(shown) == ["PA-003", "SQ-001", "XT-002"]
    road = shown["SQ-001"]
    assert (road["town"], road["village"], road["original_value"], road["project_year"]) == (
        "青山镇",
        "石桥村",
        18.3,
        2022,
    )
    assert road["fundings"] == "财政专项扶贫资金 10、对口帮扶 8.3"
    assert (road["asset_class"], road["card_on_wall"], road["funding_kind"]) == ("公益性", "是", "衔接资产")
    assert shown["PA-003"]["disposed_on"] == "2024-06-30" and shown["PA-003"]["disposal_method"] == "报废"
    assert shown["XT-002"]["funding_kind"] == "扶贫项目资产"


def test_export_then_import_into_an_emptied_district_round_trips_every_cell(session, county, build, clock):
    varied_assets(build, county)
    import_register(session, None, str(SAMPLE), county.district, clock.now())
    first = export_district(session, county)
    session.execute(delete(AssetFunding))
    session.execute(delete(Asset))
    session.expunge_all()
    report = import_register(session, None, io.BytesIO(first), county.district, clock.now())
    assert (report.created, report.errors) == (123, [])
    second = export_district(session, county)
    assert cells(second) == cells(first)
    again = import_register(session, None, io.BytesIO(second), county.district, clock.now())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 123)


def test_export_holds_only_what_the_user_may_see(session, county, build):
    varied_assets(build, county)
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    buffer = io.BytesIO()
    assert export_register(session, export_query(clerk, county.district), county.district, buffer) == 1
    assert [row[0] for row in cells(buffer.getvalue())[1:]] == ["SQ-001"]


def login_district_admin(build, county, login_as):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    login_as(admin)
    return admin


def test_upload_imports_the_register_and_shows_the_counts(client, session, county, build, login_as):
    login_district_admin(build, county, login_as)
    token = csrf_token(client, "/register/import")
    with SAMPLE.open("rb") as handle:
        response = client.post(
            "/register/import",
            data={"csrf_token": token, "file": (handle, "台账.xlsx")},
            content_type="multipart/form-data",
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "新增120项" in page and "未变0项" in page
    assert session.scalar(select(func.count()).select_from(Asset)) == 120


def test_refused_upload_lists_row_column_and_reason_with_422(client, session, county, build, login_as):
    login_district_admin(build, county, login_as)
    token = csrf_token(client, "/register/import")
    upload = workbook_bytes([register_row(build), register_row(build, original_value=-1)])
    response = client.post(
        "/register/import", data={"csrf_token": token, "file": (upload, "r.xlsx")}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        '<td data-label="行">第3行</td><td data-label="列">资产原值（万元）</td><td data-label="问题">不能为负数</td>'
        in page
    )
    assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_upload_that_is_not_xlsx_is_refused_with_422(client, session, county, build, login_as):
    login_district_admin(build, county, login_as)
    token = csrf_token(client, "/register/import")
    response = client.post(
        "/register/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"a,b\n1,2\n"), "r.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "不是有效的 .xlsx 文件" in response.get_data(as_text=True)


def test_upload_without_csrf_token_is_refused(client, session, county, build, login_as):
    login_district_admin(build, county, login_as)
    with SAMPLE.open("rb") as handle:
        response = client.post(
            "/register/import", data={"file": (handle, "台账.xlsx")}, content_type="multipart/form-data"
        )
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_roles_that_only_read_the_register_may_not_import(client, county, build, login_as):
    login_as(build.user(Role.CUSTODIAN, county.villages["石桥村"]))
    assert client.get("/register/import").status_code == 403
    page = client.get("/assets").get_data(as_text=True)
    assert "/register/export" in page and "/register/import" not in page


def test_download_gives_the_visible_assets_with_the_list_filters(client, county, build, login_as):
    varied_assets(build, county)
    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    response = client.get("/register/export")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    assert [row[0] for row in cells(response.data)[1:]] == ["SQ-001"]
    filtered = client.get("/register/export", query_string={"q": "不会有的名称"})
    assert len(cells(filtered.data)) == 1  # the header only


def test_cli_imports_and_exports_a_district(runner, session, county, tmp_path):
    result = runner.invoke(cli, ["register", "import", str(SAMPLE), "--district", "示范区"])
    assert result.exit_code == 0, result.output
    assert "新增120项" in result.output
    target = tmp_path / "out.xlsx"
    result = runner.invoke(cli, ["register", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert "已导出120项资产" in result.output and len(cells(target.read_bytes())) == 121


def test_cli_refused_import_exits_non_zero_and_writes_nothing(runner, session, county, build, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook_bytes([register_row(build, village="不存在村")]).getvalue())
    result = runner.invoke(cli, ["register", "import", str(bad)])
    assert result.exit_code == 1
    assert "第2行「村（社区）」：系统中没有「青山镇不存在村」" in result.output
    assert "未导入任何资产" in result.output
    assert session.scalar(select(func.count()).select_from(Asset)) == 0
