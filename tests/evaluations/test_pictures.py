"""The district's pictures: grades per town, the items most often lost, this year against last,
each village's trend — inline SVG whose figures link to the reports behind them."""

from __future__ import annotations

import re
from decimal import Decimal

from models.evaluations.entities import Grade, Stage, Status, TownResult, VillageEvaluation
from models.evaluations.pictures import pictures
from models.evaluations.review import Answer, review
from models.people import Role
from tests.support.evaluations import reported_evaluation
from tests.support.pages import login

YEAR = 2026


def reviewed_qingshan(session, build, county, clock):
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    for name, lost in (("石桥村", 0), ("竹林村", 2), ("上坪村", 4)):
        evaluation = reported_evaluation(session, county.villages[name], YEAR, clock.now(), lost=Decimal(lost))
        answers = {evaluation.scores[0].id: Answer("0", "无管护协议")} if name == "石桥村" else {}
        review(session, official, evaluation, answers, timezone="Asia/Shanghai", now=clock.now())
    last_year = VillageEvaluation(
        district_id=county.district.id,
        town_id=county.towns["青山镇"].id,
        village_id=county.villages["石桥村"].id,
        year=YEAR - 1,
        stage=Stage.SELF_EVALUATION,
        status=Status.RATED,
        score=Decimal(81),
        grade=Grade.GOOD,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    town_last_year = TownResult(
        district_id=county.district.id,
        town_id=county.towns["青山镇"].id,
        year=YEAR - 1,
        score=Decimal(83),
        grade=Grade.GOOD,
        rated_at=clock.now(),
    )
    session.add_all([last_year, town_last_year])
    session.flush()


def test_what_the_pictures_count(session, build, county, clock):
    reviewed_qingshan(session, build, county, clock)
    seen = pictures(session, county.district, YEAR, county.towns["青山镇"])
    assert seen.grades[county.towns["青山镇"].id] == {Grade.GOOD: 2, Grade.POOR: 1}
    # every item lost by 竹林村 and 上坪村; 石桥村's first item by the town's adjustment
    assert seen.lost[0] == ("明确村级组织管护主体责任", 3) and len(seen.lost) == 8
    assert seen.town_scores[county.towns["青山镇"].id] == {YEAR - 1: Decimal(83)}
    assert seen.village_scores[county.villages["石桥村"].id] == {YEAR - 1: Decimal(81), YEAR: Decimal("87.5")}


def test_the_district_page_shows_linked_charts_and_is_the_districts_alone(
    app, client, session, build, county, clock, login_as
):
    reviewed_qingshan(session, build, county, clock)
    login_as(build.user(Role.DISTRICT_ADMIN, county.district))
    page = client.get(f"/evaluations/pictures?year={YEAR}").get_data(as_text=True)
    assert page.count("<svg") == 3 + 4  # three district charts, one trend per village of 青山镇
    assert "各镇村级评价等次分布" in page and "失分最多的考评项目" in page and "石桥村历年得分" in page
    links = re.findall(r'<a href="([^"]+)"', page)
    assert f"/evaluations/report/{county.towns['青山镇'].id}.pdf?year={YEAR}" in links
    assert f"/evaluations/report/{county.villages['石桥村'].id}.pdf?year={YEAR - 1}" in links
    for path in links:
        if path.startswith("/evaluations/report/"):
            assert client.get(path).status_code == 200, path
    official = app.test_client()
    login(official, build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    assert official.get(f"/evaluations/pictures?year={YEAR}").status_code == 404
