"""导入人员: the roster a town keeps (姓名, 手机号, 角色, 镇, 村) becomes accounts, each with a one-time
link; every problem is told as row + column + reason, and by default nothing is imported then."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from models.people import Role, User, VillagePost
from models.spreadsheets import UnreadableSpreadsheet
from models.staff.xlsx_import import import_roster
from tests.support.pages import csrf_token, login, visible_text

HEADER = ["序号", "姓名", "手机号", "角色", "镇", "村", "备注"]


def roster(rows: list[list], header: list[str] = HEADER, title: str | None = "青山镇村级管护人员花名册") -> io.BytesIO:
    """A roster as towns keep it: a title row, the header, the people, a signature line."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    sheet.append([])
    sheet.append(["填表人：覃志刚"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def people(session) -> dict[str, User]:
    return {user.phone: user for user in session.scalars(select(User))}


def test_a_towns_roster_becomes_accounts_each_with_its_link(session, county, town, clock):
    report = import_roster(
        session,
        town,
        roster(
            [
                ["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""],
                ["蒙德明", 13711110002, "村务监督委员会主任", "青山镇", "石桥村", "手机号存成了数字"],
                ["黄秋菊", "137 1111 0003", "村干部", "青山镇", "上坪村", ""],
            ]
        ),
        clock.now(),
    )
    assert report.summary == "共读取3行：新增3个账号，0个已有相同账号未变。"
    assert report.notes == ["读取工作表「Sheet」，表头在第2行。"]
    made = people(session)
    assert made["13711110001"].role is Role.CUSTODIAN and made["13711110001"].region == county.villages["竹林村"]
    supervisor = made["13711110002"]
    assert supervisor.role is Role.VILLAGE_SUPERVISOR
    assert supervisor.village_post is VillagePost.SUPERVISION_COMMITTEE_CHAIR
    assert made["13711110003"].role is Role.VILLAGE_CLERK
    assert [issued.link.user.name for issued in report.created] == ["韦小兰", "蒙德明", "黄秋菊"]
    assert all(not issued.link.user.has_password for issued in report.created)


def test_the_same_roster_twice_changes_nothing(session, county, town, clock):
    rows = [["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""]]
    import_roster(session, town, roster(rows), clock.now())
    again = import_roster(session, town, roster(rows), clock.now())
    assert again.summary == "共读取1行：新增0个账号，1个已有相同账号未变。"
    assert session.scalar(select(func.count()).select_from(User).where(User.phone == "13711110001")) == 1


def test_every_problem_is_told_by_row_and_column_and_nothing_is_imported(session, county, town, build, clock):
    build.user(Role.CUSTODIAN, county.villages["石桥村"], name="李小军", phone="13711119999")
    build.user(
        Role.VILLAGE_SUPERVISOR,
        county.villages["石桥村"],
        name="黄秋菊",
        village_post=VillagePost.COOPERATIVE_BOARD_CHAIR,
    )
    before = set(people(session))
    report = import_roster(
        session,
        town,
        roster(
            [
                ["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""],  # row 3: fine
                ["", "13711110002", "管护员", "青山镇", "竹林村", ""],
                ["黄志强", "1371111", "管护员", "青山镇", "竹林村", ""],
                ["陆国庆", "13711110004", "村长", "青山镇", "竹林村", ""],
                ["梁秀兰", "13711110005", "管护员", "青山镇", "", ""],
                ["覃小妹", "13711110006", "管护员", "青山镇", "不存在村", ""],
                ["蓝阿姨", "13711110007", "管护员", "河湾镇", "清水村", ""],
                ["韦大伯", "13711110008", "乡镇工作专班", "青山镇", "", ""],
                ["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""],
                ["李晓军", "13711119999", "管护员", "青山镇", "竹林村", ""],
                ['=HYPERLINK("http://x")', "13711110011", "管护员", "青山镇", "竹林村", ""],
                ["莫大姐", "13711110012", "合作社监事会主任", "青山镇", "石桥村", ""],
            ]
        ),
        clock.now(),
    )
    assert report.refused and report.created == []
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (4, "姓名", "姓名不能为空"),
        (5, "手机号", "手机号应为11位数字，以1开头"),
        (6, "角色", "应填乡镇工作专班、村干部、村级监督、管护员之一"),
        (7, "村", "管护员须填写所在村"),
        (8, "村", "系统中没有「青山镇不存在村」"),
        (9, "镇", "不在您管辖的范围内"),
        (10, "角色", "您不能设置乡镇工作专班账号"),
        (11, "手机号", "与第3行的手机号重复"),
        (12, "手机号", "已有账号：李小军（管护员，青山镇石桥村）；如需修改请在人员管理中编辑"),
        (13, "姓名", "是公式，请在表格软件中复制后“选择性粘贴为数值”再导入"),
        (14, "角色", "本村的合作社监事会主任已由黄秋菊担任"),
    ]
    assert report.summary == "共读取12行，发现11处问题，未导入任何账号。请修改后重新导入。"
    assert set(people(session)) == before


def test_with_valid_only_the_good_rows_are_imported(session, county, town, clock):
    report = import_roster(
        session,
        town,
        roster(
            [
                ["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""],
                ["", "13711110002", "管护员", "青山镇", "竹林村", ""],
            ]
        ),
        clock.now(),
        valid_only=True,
    )
    assert [issued.link.user.phone for issued in report.created] == ["13711110001"]
    assert report.summary == "共读取2行：新增1个账号，0个已有相同账号未变。另有1处问题，相应的行未导入。"


def test_a_file_without_the_needed_columns_or_not_xlsx_is_refused_in_chinese(session, town, clock):
    with pytest.raises(UnreadableSpreadsheet, match="表头缺少必填的列：角色、镇"):
        import_roster(session, town, roster([], header=["姓名", "手机号"]), clock.now())
    with pytest.raises(UnreadableSpreadsheet, match="没有找到表头"):
        import_roster(session, town, roster([], header=["名称", "电话号"]), clock.now())
    with pytest.raises(UnreadableSpreadsheet, match="不是有效的 .xlsx 文件"):
        import_roster(session, town, io.BytesIO(b"name,phone\n"), clock.now())


def test_a_sheet_broken_inside_is_refused_plainly_and_nothing_is_kept(session, town, clock):
    whole = roster([["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""]] * 3)
    broken = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) * 2 // 3] if item.filename.endswith("sheet1.xml") else data)
    before = set(people(session))
    with pytest.raises(UnreadableSpreadsheet, match="不是有效的 .xlsx 文件"):
        import_roster(session, town, broken, clock.now())
    assert set(people(session)) == before


def test_the_import_page_shows_each_new_accounts_link_once(client, session, county, town):
    login(client, town)
    token = csrf_token(client, "/staff/import")
    rows = [["韦小兰", "13711110001", "管护员", "青山镇", "竹林村", ""]]
    answer = client.post(
        "/staff/import",
        data={"file": (roster(rows), "花名册.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "新增1个账号" in page and "韦小兰" in page and "http://guanhu.test/account/set-password/" in page


def test_a_refused_import_page_lists_the_problems_with_422(client, town):
    login(client, town)
    token = csrf_token(client, "/staff/import")
    answer = client.post(
        "/staff/import",
        data={"file": (roster([["", "1", "管护员", "青山镇", "竹林村", ""]]), "花名册.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    text = visible_text(answer.get_data(as_text=True))
    assert "第3行" in text and "姓名不能为空" in text and "未导入任何账号" in text
