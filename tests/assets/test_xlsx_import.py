"""Importing the register from .xlsx: a county's own register, our export, and every kind of bad
cell, each reported by row, column and reason, with nothing written unless asked."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import audit
from models.assets.entities import Asset
from models.assets.xlsx_export import COLUMN_LABELS, COLUMNS
from models.assets.xlsx_import import MAX_ROWS, UnreadableRegister, import_register
from models.audit import AuditEntry
from models.errors import Forbidden
from models.people import Role
from models.regions import Region, find_child
from tests.support.register_files import SAMPLE, register_row, workbook_bytes


def counts(session) -> tuple[int, int]:
    assets = session.scalar(select(func.count()).select_from(Asset))
    entries = session.scalar(select(func.count()).select_from(AuditEntry))
    return assets, entries


def run(session, county, clock, source, actor=None, **options):
    return import_register(session, actor, source, county.district, clock.now(), **options)


def by_code(session, code: str) -> Asset:
    return session.scalar(select(Asset).where(Asset.code == code))


def test_county_register_in_its_own_shape_imports_all_120_assets(session, county, clock):
    report = run(session, county, clock, str(SAMPLE))
    assert report.errors == [] and not report.refused
    assert (report.rows, report.created, report.updated, report.unchanged) == (120, 120, 0, 0)
    assert session.scalar(select(func.count()).select_from(Asset)) == 120
    solar = by_code(session, "SF20220001")
    assert solar.original_value == Decimal("183000.00")  # 18.3 万元
    assert solar.village_id == county.villages["新塘村"].id and solar.hamlet == "老屋屯"
    # 管护责任人 is a merged header over 姓名 / 联系电话
    assert (solar.custodian_name, solar.custodian_phone) == ("莫文华", "13800131318")
    assert solar.operator == "委托经营：某某农业有限公司"
    assert by_code(session, "SF20240007").project_year == 2024  # typed as '2024年'
    assert by_code(session, "SF20190011").original_value == Decimal("276700.00")  # typed as text '27.67'
    assert by_code(session, "SF20170119").project_year == 2017
    # the 合计 row and the signature lines under it are not assets
    names = set(session.scalars(select(Asset.name)))
    assert not any("合计" in name or "填表人" in name for name in names)
    assert any("第125行是合计行" in note for note in report.notes)
    assert any("表头在第3行和第4行" in note for note in report.notes)


def test_problems_in_a_county_register_name_its_own_columns(session, county, clock, tmp_path):
    workbook = load_workbook(SAMPLE)
    sheet = workbook.active
    sheet["P5"] = "12345"  # 管护责任人 / 联系电话
    sheet["K6"] = "=9+0.82"  # 资产原值
    sheet["U3"] = "备用列"
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    report = run(session, county, clock, str(edited))
    assert report.refused
    assert [(e.row, e.column) for e in report.errors] == [(5, "管护责任人（联系电话）"), (6, "资产原值")]
    assert "以下列不是台账的字段，未导入：备用列。" in report.notes
    assert counts(session) == (0, 0)


def test_reimporting_the_same_file_changes_nothing_and_writes_no_audit(session, county, clock):
    run(session, county, clock, str(SAMPLE))
    before = counts(session)
    report = run(session, county, clock, str(SAMPLE))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 120)
    assert counts(session) == before


def test_reimport_with_a_changed_cell_updates_that_asset_and_audits_it_as_import(session, county, clock, build):
    first = register_row(build, code="A-1", name="石桥村新屯道路", original_value="18.3")
    run(session, county, clock, workbook_bytes([first]))
    second = register_row(build, code="A-1", name="石桥村新屯道路", original_value="20")
    report = run(session, county, clock, workbook_bytes([second]))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    asset = by_code(session, "A-1")
    assert asset.original_value == Decimal("200000.00") and asset.version == 2
    entries = audit.history(session, "asset", asset.id)
    assert [e.action for e in entries] == ["create", "import"]
    assert entries[1].changes == {"original_value": ["18.3", "20"]}
    assert audit.verify_chain(entries)


def test_columns_the_file_lacks_keep_what_the_register_holds(session, county, clock, build):
    first = register_row(build, code="A-1", name="路", latitude="23.1", longitude="108.3")
    run(session, county, clock, workbook_bytes([first]))
    header = [COLUMN_LABELS[name] for name in COLUMNS if name not in ("latitude", "longitude")]
    row = [
        value
        for name, value in zip(COLUMNS, register_row(build, code="A-1", name="路"), strict=True)
        if name not in ("latitude", "longitude")
    ]
    report = run(session, county, clock, workbook_bytes([row], header=header))
    assert report.unchanged == 1
    assert by_code(session, "A-1").latitude == Decimal("23.100000")


BAD_CELLS = [
    ("missing required field", {"name": None}, "资产名称", "不能为空"),
    ("unknown class", {"asset_class": "公私合营"}, "资产类别", "不是已知的资产类别"),
    ("unknown sub-type", {"subtype": "飞机场"}, "资产子类", "不是已知的资产子类"),
    ("negative value", {"original_value": -3}, "资产原值（万元）", "不能为负数"),
    ("non-numeric value", {"original_value": "十八万"}, "资产原值（万元）", "应为数字"),
    ("bad date", {"status": "已处置", "disposed_on": "2024-13-45"}, "处置日期", "应为日期"),
    ("bad year", {"project_year": "19年"}, "建设年度", "年份"),
    ("bad phone", {"custodian_phone": "12345"}, "联系电话", "手机号"),
    ("formula cell", {"original_value": "=10+8.3"}, "资产原值（万元）", "是公式"),
    ("unknown village", {"village": "不存在村"}, "村（社区）", "系统中没有「青山镇不存在村」"),
    ("empty town", {"town": None}, "镇（乡）", "不能为空"),
]


@pytest.mark.parametrize(("case", "overrides", "column", "reason"), BAD_CELLS, ids=[c[0] for c in BAD_CELLS])
def test_every_bad_cell_is_reported_by_row_and_column_and_nothing_is_imported(
    session, county, clock, build, case, overrides, column, reason
):
    before = counts(session)
    rows = [register_row(build), register_row(build, **overrides), register_row(build)]
    report = run(session, county, clock, workbook_bytes(rows))
    assert report.refused
    assert [(e.row, e.column) for e in report.errors] == [(3, column)], report.errors
    assert reason in report.errors[0].reason
    assert (report.created, report.updated) == (0, 0)
    assert counts(session) == before
    assert "未导入任何资产" in report.summary


def test_duplicate_code_in_the_file_is_an_error_on_each_later_row(session, county, clock, build):
    rows = [register_row(build, code="D-1"), register_row(build, code="d-1"), register_row(build, code="D-1")]
    report = run(session, county, clock, workbook_bytes(rows))
    assert report.refused
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "资产编号", "与第2行的资产编号重复"),
        (4, "资产编号", "与第2行的资产编号重复"),
    ]
    assert counts(session) == (0, 0)


def test_valid_only_imports_the_valid_rows_and_reports_the_rest(session, county, clock, build):
    rows = [
        register_row(build, code="V-1"),
        register_row(build, code="V-2", original_value="abc"),
        register_row(build, code="V-3"),
    ]
    report = run(session, county, clock, workbook_bytes(rows), valid_only=True)
    assert not report.refused
    assert (report.created, len(report.errors)) == (2, 1)
    assert set(session.scalars(select(Asset.code))) == {"V-1", "V-3"}
    assert "另有1处问题" in report.summary


def test_unknown_villages_are_listed_once_and_refused(session, county, clock, build):
    rows = [
        register_row(build, town="新镇", village="甲村"),
        register_row(build, town="新镇", village="甲村"),
        register_row(build, town="青山镇", village="乙村"),
    ]
    report = run(session, county, clock, workbook_bytes(rows))
    assert report.refused and report.unknown_villages == ["新镇甲村", "青山镇乙村"]
    assert any("新镇甲村、青山镇乙村" in note and "自动创建不存在的村" in note for note in report.notes)
    assert find_child(session, county.district, "新镇") is None


def test_create_villages_makes_the_missing_towns_and_villages(session, county, clock, build):
    rows = [register_row(build, town="新镇", village="甲村"), register_row(build, town="青山镇", village="乙村")]
    report = run(session, county, clock, workbook_bytes(rows), create_villages=True)
    assert report.created == 2 and not report.errors
    town = find_child(session, county.district, "新镇")
    assert town is not None and find_child(session, town, "甲村") is not None
    assert find_child(session, county.towns["青山镇"], "乙村") is not None


def test_a_file_over_the_size_cap_is_refused_before_it_is_opened(session, county, clock, tmp_path):
    big = tmp_path / "register.xlsx"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(UnreadableRegister, match="50.0 MB，超过了32 MB 的上限"):
        run(session, county, clock, str(big))
    assert counts(session) == (0, 0)


def _zip_without_workbook() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    "content",
    [
        io.BytesIO("资产编号,资产名称\nA-1,道路\n".encode()),  # a CSV
        io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096),  # an old .xls (OLE2)
        io.BytesIO(b""),
        _zip_without_workbook(),
    ],
    ids=["csv", "xls", "empty", "zip-without-workbook"],
)
def test_a_file_that_is_not_xlsx_is_refused_plainly(session, county, clock, content):
    with pytest.raises(UnreadableRegister, match="不是有效的 .xlsx 文件"):
        run(session, county, clock, content)
    assert counts(session) == (0, 0)


def test_a_truncated_xlsx_is_refused_plainly(session, county, clock, build):
    data = workbook_bytes([register_row(build)]).getvalue()
    with pytest.raises(UnreadableRegister, match="不是有效的 .xlsx 文件"):
        run(session, county, clock, io.BytesIO(data[: len(data) // 2]))


def test_a_sheet_without_a_header_is_refused(session, county, clock):
    with pytest.raises(UnreadableRegister, match="没有找到表头"):
        run(session, county, clock, workbook_bytes([["甲", "乙"]], header=["随便", "什么"]))


def test_missing_required_columns_are_named(session, county, clock, build):
    header = [COLUMN_LABELS[name] for name in COLUMNS if name not in ("status", "village")]
    with pytest.raises(UnreadableRegister, match="表头缺少必填的列：村（社区）、资产状态"):
        run(session, county, clock, workbook_bytes([], header=header))


def test_too_many_rows_are_refused(session, county, clock, build, monkeypatch):
    monkeypatch.setattr("models.assets.xlsx_import.MAX_ROWS", 2)
    with pytest.raises(UnreadableRegister, match="一次最多导入2行"):
        run(session, county, clock, workbook_bytes([register_row(build) for _ in range(3)]))
    assert counts(session) == (0, 0)
    assert MAX_ROWS >= 100_000


def test_rows_outside_the_actors_town_are_errors(session, county, clock, build):
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    elsewhere = build.asset(county.villages["清水村"], code="HW-1")
    rows = [
        register_row(build, code="Q-1"),
        register_row(build, town="河湾镇", village="清水村"),
        register_row(build, code="HW-1"),
    ]
    report = run(session, county, clock, workbook_bytes(rows), actor=official)
    assert report.refused
    assert [(e.row, e.column) for e in report.errors] == [(3, "村（社区）"), (4, "资产编号")]
    assert "所辖范围" in report.errors[0].reason and "已被本区另一项资产使用" in report.errors[1].reason
    session.refresh(elsewhere)
    assert elsewhere.village_id == county.villages["清水村"].id


def test_only_the_district_office_may_create_villages_on_import(session, county, clock, build):
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    with pytest.raises(Forbidden, match="区乡村振兴局"):
        run(session, county, clock, workbook_bytes([register_row(build)]), actor=official, create_villages=True)
    custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    with pytest.raises(Forbidden):
        run(session, county, clock, workbook_bytes([register_row(build)]), actor=custodian)


def test_import_into_another_district_does_not_touch_this_one(session, county, clock, build):
    other = build.county("样板县")
    run(session, county, clock, workbook_bytes([register_row(build, code="X-1")]))
    report = import_register(
        session, None, workbook_bytes([register_row(build, code="X-1")]), other.district, clock.now()
    )
    assert report.created == 1
    districts = set(session.scalars(select(Asset.district_id).where(Asset.code == "X-1")))
    assert districts == {county.district.id, other.district.id}
    assert session.get(Region, other.district.id).name == "样板县"
