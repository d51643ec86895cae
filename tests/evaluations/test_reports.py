"""The reports: a town's (本镇项目资产绩效自评材料), the district's and a village's, as .xlsx and PDF,
from the command line and downloaded by the roles that may (another region's id: 404)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from models.evaluations.rating import rate_town
from models.evaluations.report_xlsx import write_report
from models.evaluations.reports import district_report
from models.evaluations.review import Answer, review
from models.people import Role
from tests.support.evaluations import reported_evaluation
from tests.support.pages import login
from web.cli import cli

YEAR = 2026


@pytest.fixture
def qingshan(session, build, county, clock):
    """青山镇: 石桥村 and 竹林村 reviewed (竹林村's first item adjusted), 上坪村 reported, 下湾村 (a bridge
    to evaluate) not started; the other towns' villages hold nothing to evaluate."""
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    build.asset(county.villages["下湾村"], name="下湾村便民桥")
    evaluations = {
        name: reported_evaluation(session, county.villages[name], YEAR, clock.now())
        for name in ("石桥村", "竹林村", "上坪村")
    }
    review(session, official, evaluations["石桥村"], {}, timezone="Asia/Shanghai", now=clock.now())
    first = evaluations["竹林村"].scores[0]
    answers = {first.id: Answer("10", "两处资产无管护协议")}
    review(session, official, evaluations["竹林村"], answers, timezone="Asia/Shanghai", now=clock.now())
    return evaluations


def rows_of(workbook, title: str) -> list[tuple]:
    return list(workbook[title].iter_rows(values_only=True))


def test_the_towns_report_as_xlsx_has_every_village_its_items_adjustments_and_evidence(
    runner, county, qingshan, tmp_path
):
    out = tmp_path / "青山镇.xlsx"
    result = runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), "--town", "青山镇", str(out)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    villages = rows_of(workbook, "各村得分")
    assert villages[0][:6] == ("镇（乡）", "村（社区）", "状态", "村自评", "复核得分", "等次")
    assert [row[1:7] for row in villages[1:]] == [
        ("石桥村", "已复核", 92, 92, "好", 0),
        ("竹林村", "已复核", 92, 90.5, "好", 1),
        ("上坪村", "已报镇", 92, None, None, 0),
        ("下湾村", "未开始自评", None, None, None, 0),
    ]
    items = rows_of(workbook, "考评明细")
    assert len(items) == 1 + 3 * 8
    adjusted = next(row for row in items if row[0] == "竹林村" and row[2] == 1)
    assert adjusted[3:] == (
        "明确村级组织管护主体责任",
        12.5,
        11.5,
        11.5,
        None,
        10,
        "两处资产无管护协议",
        None,
        None,
        "纳入评价的资产 3",
    )


def test_the_district_report_and_its_lists_and_a_pdf_by_the_suffix(
    runner, session, build, county, qingshan, clock, tmp_path
):
    out = tmp_path / "district.xlsx"
    assert (
        runner.invoke(cli, ["evaluation", "report", "--district", "示范区", "--year", str(YEAR), str(out)]).exit_code
        == 0
    )
    workbook = load_workbook(out)
    towns = rows_of(workbook, "各镇评定")
    assert [row[:4] for row in towns[1:]] == [("青山镇", 4, 2, 6), ("河湾镇", 0, 0, 0), ("云岭乡", 0, 0, 0)]
    assert len(rows_of(workbook, "各村得分")) == 1 + 12
    pdf = tmp_path / "青山镇.pdf"
    result = runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), "--town", "青山镇", str(pdf)])
    assert result.exit_code == 0 and "青山镇" in result.output
    assert len(re.findall(rb"/Type /Page[^s]", pdf.read_bytes())) >= 2
    bad = runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), str(tmp_path / "out.csv")])
    assert bad.exit_code == 1 and "xlsx" in bad.output
    unknown = runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), "--town", "无此镇", str(out)])
    assert unknown.exit_code == 1 and "无此镇" in unknown.output


@pytest.fixture
def rated(session, build, county, qingshan, clock):
    """青山镇 rated 较差 (68, changed from its proposal); its 石桥村 at 92: 好. Returns the district office."""
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    for name in ("上坪村", "下湾村"):
        evaluation = qingshan.get(name) or reported_evaluation(session, county.villages[name], YEAR, clock.now())
        review(session, official, evaluation, {}, timezone="Asia/Shanghai", now=clock.now())
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    rate_town(session, admin, county.towns["青山镇"], YEAR, "68", "整改不到位", now=clock.now())
    return admin


def test_the_lists_for_the_notice_are_in_the_district_report(session, county, qingshan, rated):
    out = io.BytesIO()
    write_report(district_report(session, county.district, YEAR), out)
    named = rows_of(load_workbook(out), "通报名单")
    assert ("较差", "青山镇", 68) in named and ("好", "青山镇石桥村", 92) in named
    assert Decimal(92) == qingshan["石桥村"].score


@pytest.mark.parametrize(("fmt", "starts"), [("pdf", b"%PDF"), ("xlsx", b"PK")])
def test_downloads_for_the_right_roles_and_404_for_another_region(
    app, client, build, county, qingshan, login_as, fmt, starts
):
    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    mine = client.get(f"/evaluations/report/town.{fmt}?year={YEAR}")
    assert mine.status_code == 200 and mine.data.startswith(starts)
    assert client.get(f"/evaluations/report/{county.villages['石桥村'].id}.{fmt}?year={YEAR}").status_code == 200
    for other in (county.towns["河湾镇"], county.villages["清水村"], county.district):
        assert client.get(f"/evaluations/report/{other.id}.{fmt}?year={YEAR}").status_code == 404
    clerk = app.test_client()
    login(clerk, build.user(Role.VILLAGE_CLERK, county.villages["竹林村"]))
    assert clerk.get(f"/evaluations/report/{county.villages['竹林村'].id}.{fmt}?year={YEAR}").status_code == 200
    assert clerk.get(f"/evaluations/report/{county.villages['石桥村'].id}.{fmt}?year={YEAR}").status_code == 404
    custodian = app.test_client()
    login(custodian, build.user(Role.CUSTODIAN, county.villages["竹林村"]))
    assert custodian.get(f"/evaluations/report/{county.villages['竹林村'].id}.{fmt}?year={YEAR}").status_code == 404
    district = app.test_client()
    login(district, build.user(Role.DEPARTMENT, county.district, department="水利局"))
    assert district.get(f"/evaluations/report/{county.district.id}.{fmt}?year={YEAR}").status_code == 200
    assert district.get(f"/evaluations/report/{county.district.id}.csv?year={YEAR}").status_code == 404


def test_a_villages_report_from_the_command_line(runner, county, qingshan, tmp_path):
    out = tmp_path / "竹林村.xlsx"
    result = runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), "--village", "竹林村", str(out)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["各村得分", "考评明细"]
    assert [row[0] for row in rows_of(workbook, "考评明细")[1:]] == ["竹林村"] * 8


def test_the_district_bulletin_names_the_towns_by_grade_and_the_good_and_poor_units(
    app, client, runner, build, county, rated, login_as, tmp_path
):
    out = tmp_path / "通报.xlsx"
    result = runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), "--bulletin", str(out)])
    assert result.exit_code == 0, result.output
    rows = dict(rows_of(load_workbook(out), "通报"))
    assert rows["标题"] == f"关于示范区{YEAR}年度项目资产管护绩效评价结果的通报" and rows["年度"] == YEAR
    assert rows["评价结果为「较差」的乡镇"] == "青山镇（68.0分）" and rows["评价结果为「好」的乡镇"] == "无"
    assert rows["评价结果为「好」的单位"].startswith("青山镇石桥村（92.0分）")
    assert rows["评价结果为「较差」的单位"].startswith("青山镇（68.0分）")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", rows["日期"])

    login_as(rated)
    assert "下载区级通报" in client.get(f"/evaluations/rating?year={YEAR}").get_data(as_text=True)
    printed = client.get(f"/evaluations/rating/bulletin.pdf?year={YEAR}")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
    assert client.get(f"/evaluations/rating/bulletin.xlsx?year={YEAR}").data.startswith(b"PK")
    assert client.get(f"/evaluations/rating/bulletin.csv?year={YEAR}").status_code == 404
    department = app.test_client()
    login(department, build.user(Role.DEPARTMENT, county.district, department="水利局"))
    assert department.get(f"/evaluations/rating/bulletin.pdf?year={YEAR}").status_code == 403
    town = app.test_client()
    login(town, build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    assert town.get(f"/evaluations/rating/bulletin.pdf?year={YEAR}").status_code == 403  # as the rating page


def test_a_reason_written_like_a_formula_goes_into_the_report_as_text(runner, session, county, qingshan, tmp_path):
    adjusted = qingshan["竹林村"].scores[0]
    adjusted.town_reason = '=HYPERLINK("http://evil.example","详情")'
    session.flush()
    out = tmp_path / "青山镇.xlsx"
    assert (
        runner.invoke(cli, ["evaluation", "report", "--year", str(YEAR), "--town", "青山镇", str(out)]).exit_code == 0
    )
    cells = [cell for row in load_workbook(out)["考评明细"].iter_rows() for cell in row]
    planted = next(cell for cell in cells if str(cell.value).startswith("=HYPERLINK"))
    assert planted.data_type == "s" and planted.quotePrefix
