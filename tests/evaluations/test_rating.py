"""The district's rating (评定): departments score the items of their trades, the district office
rates each town (its villages' scores weighted by assets, changed only with a reason), the grades
follow, the 通报 lists, the district's task closes; reopening with a reason; access per role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from models.assets.entities import Asset, AssetClass
from models.audit import AuditEntry
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import Grade, Status, TownResult
from models.evaluations.rating import (
    assign_trade,
    district_table,
    district_task_key,
    honours,
    rate_town,
    reopen_town,
    score_trade_item,
    set_weights,
    trade_scores,
)
from models.evaluations.results import rate
from models.evaluations.review import review
from models.evaluations.sheets import ensure_sheets
from models.people import Role
from tests.support.builders import TOWNS
from tests.support.evaluations import reported_evaluation
from tests.support.pages import csrf_token, login, visible_text

YEAR = 2026
TZ = "Asia/Shanghai"
# What each village loses per item: 青山镇's villages 92 / 92 / 84 / 84, 河湾镇's 76, 云岭乡's 60.
LOST = {"石桥村": 1, "竹林村": 1, "上坪村": 2, "下湾村": 2, **dict.fromkeys(TOWNS["河湾镇"], 3)}


@pytest.fixture
def admin(build, county):
    return build.user(Role.DISTRICT_ADMIN, county.district)


@pytest.fixture
def reviewed(session, build, county, clock):
    """Every village reported and reviewed as the village scored itself; 石桥村 counts 30 assets."""
    evaluations = {}
    for town_name, names in TOWNS.items():
        official = build.user(Role.TOWN_OFFICIAL, county.towns[town_name])
        for name in names:
            assets = {"public_benefit": 30} if name == "石桥村" else None
            evaluation = reported_evaluation(
                session, county.villages[name], YEAR, clock.now(), lost=Decimal(LOST.get(name, 5))
            )
            if assets:
                for score in evaluation.scores:
                    score.evidence = {**score.evidence, "assets": 30}
            review(session, official, evaluation, {}, timezone=TZ, now=clock.now())
            evaluations[name] = evaluation
    return evaluations


def test_the_town_is_proposed_its_villages_scores_weighted_by_assets_and_rated(session, county, admin, reviewed, clock):
    ensure_deadlines(session, county.district, YEAR, clock.now())
    lines = {line.town.name: line for line in district_table(session, county.district, YEAR)}
    qingshan = lines["青山镇"]
    assert qingshan.ready and qingshan.reviewed == 4 and qingshan.assets == 39
    assert qingshan.proposed == Decimal("90.8")  # (92 × 30 + 92 × 3 + 84 × 3 + 84 × 3) / 39
    result = rate_town(session, admin, county.towns["青山镇"], YEAR, "", "", now=clock.now())
    assert (result.score, result.grade, result.proposed, result.reason) == (
        Decimal("90.8"),
        Grade.EXCELLENT,
        Decimal("90.8"),
        None,
    )
    assert all(reviewed[name].status is Status.RATED for name in TOWNS["青山镇"])
    with pytest.raises(Invalid) as refused:
        rate_town(session, admin, county.towns["河湾镇"], YEAR, "80", "", now=clock.now())
    assert "须说明理由" in refused.value.fields["reason"]
    with pytest.raises(Invalid):
        rate_town(session, admin, county.towns["河湾镇"], YEAR, "100.5", "多给", now=clock.now())
    rate_town(session, admin, county.towns["河湾镇"], YEAR, "78", "现场核查发现两处资产闲置", now=clock.now())
    task = session.scalar(select(Deadline).where(Deadline.key == district_task_key(county.district.id, YEAR)))
    assert task.done_at is None
    rate_town(session, admin, county.towns["云岭乡"], YEAR, "", "", now=clock.now())
    assert task.done_at is not None
    lists = honours(session, county.district, YEAR)
    assert [region.name for region, _ in lists.excellent] == ["青山镇", "石桥村", "竹林村"]
    assert [region.name for region, _ in lists.poor] == ["云岭乡", *TOWNS["云岭乡"]]
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "town_result").order_by(AuditEntry.id)
    ).all()
    assert [entry.changes["理由"] for entry in trail] == ["", "现场核查发现两处资产闲置", ""]


def test_nothing_changes_after_the_rating_except_by_reopening_with_a_reason(
    session, build, county, admin, reviewed, clock
):
    town = county.towns["青山镇"]
    ensure_deadlines(session, county.district, YEAR, clock.now())
    for name in TOWNS:
        rate_town(session, admin, county.towns[name], YEAR, "", "", now=clock.now())
    task = session.scalar(select(Deadline).where(Deadline.key == district_task_key(county.district.id, YEAR)))
    assert task.done_at is not None
    official = build.user(Role.TOWN_OFFICIAL, town)
    with pytest.raises(Forbidden):
        review(session, official, reviewed["石桥村"], {}, timezone=TZ, now=clock.now())
    with pytest.raises(Forbidden):
        rate_town(session, admin, town, YEAR, "70", "再改", now=clock.now())
    with pytest.raises(Invalid):
        reopen_town(session, admin, town, YEAR, "  ", now=clock.now())
    reopen_town(session, admin, town, YEAR, "村里反映复核有误", now=clock.now())
    assert session.scalar(select(TownResult).where(TownResult.town_id == town.id)) is None
    assert reviewed["石桥村"].status is Status.REVIEWED and task.done_at is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reopen")).first()
    assert entry.changes["理由"] == "村里反映复核有误"
    review(session, official, reviewed["石桥村"], {}, timezone=TZ, now=clock.now())  # open again


def test_a_department_scores_only_the_items_of_its_trade_in_the_villages_it_oversees(
    session, build, county, admin, reviewed, clock
):
    build.asset(county.villages["石桥村"])  # 道路交通: 交通运输局's trade
    item = reviewed["石桥村"].scores[1].item
    roads = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    water = build.user(Role.DEPARTMENT, county.district, department="水利局")
    assert trade_scores(session, roads, YEAR, county.towns["青山镇"]) == []
    assign_trade(session, admin, item.id, roads.department_id, now=clock.now())
    scores = trade_scores(session, roads, YEAR, county.towns["青山镇"])
    assert [(s.evaluation.village.name, s.item_id) for s in scores] == [("石桥村", item.id)]
    target = scores[0]
    with pytest.raises(NotFound):
        score_trade_item(session, water, target.id, "5", "理由", now=clock.now())
    with pytest.raises(NotFound):  # 竹林村 has no road of theirs
        other = next(s for s in reviewed["竹林村"].scores if s.item_id == item.id)
        score_trade_item(session, roads, other.id, "5", "理由", now=clock.now())
    with pytest.raises(Invalid):
        score_trade_item(session, roads, target.id, "5", "", now=clock.now())
    with pytest.raises(Invalid):
        score_trade_item(session, roads, target.id, "12.6", "超了", now=clock.now())
    score_trade_item(session, roads, target.id, "1.5", "巡查记录不实", now=clock.now())
    assert reviewed["石桥村"].score == Decimal("82.0") and reviewed["石桥村"].grade is Grade.GOOD
    rate_town(session, admin, county.towns["青山镇"], YEAR, "", "", now=clock.now())
    with pytest.raises(Forbidden):
        score_trade_item(session, roads, target.id, "3", "再改", now=clock.now())


def test_the_district_pages_rate_and_reopen_and_refuse_a_change_without_reason(
    client, session, county, admin, reviewed, login_as
):
    login_as(admin)
    page = visible_text(client.get(f"/evaluations/rating?year={YEAR}").get_data(as_text=True))
    assert "青山镇" in page and "已复核4个" in page and "90.8" in page
    token = csrf_token(client, f"/evaluations/rating?year={YEAR}")
    town = county.towns["青山镇"]
    refused = client.post(f"/evaluations/rating/town/{town.id}?year={YEAR}", data={"csrf_token": token, "score": "85"})
    assert refused.status_code == 422 and "须说明理由" in visible_text(refused.get_data(as_text=True))
    assert session.scalar(select(TownResult)) is None
    done = client.post(f"/evaluations/rating/town/{town.id}?year={YEAR}", data={"csrf_token": token, "score": ""})
    assert done.status_code == 302
    page = visible_text(client.get(f"/evaluations/rating?year={YEAR}").get_data(as_text=True))
    assert "90.8分「好」" in page and "青山镇（90.8分）" in page
    reopened = client.post(
        f"/evaluations/rating/town/{town.id}/reopen?year={YEAR}", data={"csrf_token": token, "reason": ""}
    )
    assert reopened.status_code == 422 and session.scalar(select(TownResult)) is not None
    reopened = client.post(
        f"/evaluations/rating/town/{town.id}/reopen?year={YEAR}", data={"csrf_token": token, "reason": "复核有误"}
    )
    assert reopened.status_code == 302 and session.scalar(select(TownResult)) is None


def test_the_trades_page_and_a_departments_page(app, client, session, build, county, admin, reviewed, login_as):
    build.asset(county.villages["石桥村"])
    login_as(admin)
    path = f"/evaluations/rating/trades?year={YEAR}"
    item = reviewed["石桥村"].scores[0].item
    roads = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    token = csrf_token(client, path)
    assert client.post(path, data={"csrf_token": token, f"item-{item.id}": str(roads.department_id)}).status_code == 302
    session.refresh(item)
    assert item.department_id == roads.department_id
    department = app.test_client()
    login(department, roads)
    page = visible_text(department.get(f"/evaluations/rating/department?year={YEAR}").get_data(as_text=True))
    assert "石桥村 · 明确村级组织管护主体责任" in page
    target = next(s for s in reviewed["石桥村"].scores if s.item_id == item.id)
    token = csrf_token(department, f"/evaluations/rating/department?year={YEAR}")
    refused = department.post(f"/evaluations/rating/score/{target.id}", data={"csrf_token": token, "score": "2"})
    assert refused.status_code == 422 and "须说明理由" in visible_text(refused.get_data(as_text=True))
    saved = department.post(
        f"/evaluations/rating/score/{target.id}", data={"csrf_token": token, "score": "2", "reason": "无管护协议"}
    )
    session.refresh(target)
    assert saved.status_code == 302 and target.department_score == Decimal(2)
    other = next(s for s in reviewed["竹林村"].scores if s.item_id == item.id)
    assert department.post(f"/evaluations/rating/score/{other.id}", data={"csrf_token": token}).status_code == 404


def test_rating_routes_are_the_district_offices_and_another_districts_ids_are_not_found(
    app, client, session, build, county, reviewed, login_as
):
    other = build.county("别的区")
    login_as(build.user(Role.DISTRICT_ADMIN, other.district))
    token = csrf_token(client, f"/evaluations/rating?year={YEAR}")
    town = county.towns["青山镇"]
    for path in (f"/evaluations/rating/town/{town.id}", f"/evaluations/rating/town/{town.id}/reopen"):
        assert client.post(f"{path}?year={YEAR}", data={"csrf_token": token, "reason": "x"}).status_code == 404
    item_score = reviewed["石桥村"].scores[0]
    assert client.post(f"/evaluations/rating/score/{item_score.id}", data={"csrf_token": token}).status_code == 404
    official = app.test_client()
    login(official, build.user(Role.TOWN_OFFICIAL, town))
    assert official.get(f"/evaluations/rating?year={YEAR}").status_code == 403  # not the town's to do
    assert official.get(f"/evaluations/rating/trades?year={YEAR}").status_code == 403
    assert official.get(f"/evaluations/rating/department?year={YEAR}").status_code == 403


def test_a_result_reached_item_by_item_is_not_retyped_on_the_hand_typed_page(
    session, build, county, admin, reviewed, clock
):
    rate_town(session, admin, county.towns["青山镇"], YEAR, "", "", now=clock.now())
    with pytest.raises(Forbidden, match="重新开启"):
        rate(session, admin, county.towns["青山镇"], YEAR, "60", this_year=YEAR, now=clock.now())
    official = build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"])
    with pytest.raises(Forbidden, match="复核各村自评"):
        rate(session, official, county.villages["清水村"], YEAR, "60", this_year=YEAR, now=clock.now())
    assert reviewed["清水村"].score == Decimal(76)


def test_a_new_years_sheets_keep_the_items_departments_and_the_sheets_weights(session, build, county, admin, clock):
    sheets = ensure_sheets(session, county.district, YEAR, clock.now())
    roads = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    assign_trade(session, admin, sheets[AssetClass.PUBLIC_BENEFIT].items[1].id, roads.department_id, now=clock.now())
    typed = {AssetClass.PUBLIC_BENEFIT: "60", AssetClass.OPERATING: "40"}
    set_weights(session, admin, county.district, YEAR, typed, now=clock.now())
    following = ensure_sheets(session, county.district, YEAR + 1, clock.now())
    public = following[AssetClass.PUBLIC_BENEFIT]
    assert [item.department_id for item in public.items[:3]] == [None, roads.department_id, None]
    assert (public.weight, following[AssetClass.OPERATING].weight) == (Decimal(60), Decimal(40))
    with pytest.raises(Invalid) as refused:
        set_weights(session, admin, county.district, YEAR, {AssetClass.PUBLIC_BENEFIT: "60"}, now=clock.now())
    assert "weight-operating" in refused.value.fields


def test_a_village_with_nothing_to_evaluate_holds_up_neither_the_review_nor_the_rating(
    session, build, county, admin, clock
):
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    build.asset(
        county.villages["竹林村"], name="竹林村到户牛棚", asset_class="到户类", subtype="到户类"
    )  # not evaluated
    evaluation = reported_evaluation(session, county.villages["石桥村"], YEAR, clock.now())
    build.asset(county.villages["上坪村"], name="上坪村便民桥")  # public-benefit: 上坪村 takes part
    review(session, official, evaluation, {}, timezone=TZ, now=clock.now())
    line = next(line for line in district_table(session, county.district, YEAR) if line.town.name == "青山镇")
    assert (line.villages, line.reviewed, line.ready) == (2, 1, False)  # 上坪村 has not reported

    session.delete(session.scalar(select(Asset).where(Asset.name == "上坪村便民桥")))
    session.flush()
    line = next(line for line in district_table(session, county.district, YEAR) if line.town.name == "青山镇")
    assert (line.villages, line.reviewed, line.ready) == (1, 1, True)
    assert rate_town(session, admin, county.towns["青山镇"], YEAR, "", "", now=clock.now()).score is not None
