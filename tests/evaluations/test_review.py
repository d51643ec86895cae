"""The town's review (复核): item by item, accept or adjust with a reason, the village's score and
grade from its sheets (weighted by evaluated assets, or by the district's weights), the town's task
closed once every village is reviewed, audited; bad input refused with nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from models.assets.entities import AssetClass
from models.audit import AuditEntry
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import Grade, Status
from models.evaluations.review import Answer, review, town_task_key
from models.evaluations.scoring import combine, weighted_mean
from models.people import Role
from tests.support.evaluations import reported_evaluation
from tests.support.pages import csrf_token, login, visible_text

YEAR = 2026
TZ = "Asia/Shanghai"
PB, OP = AssetClass.PUBLIC_BENEFIT, AssetClass.OPERATING


@pytest.fixture
def official(build, county):
    return build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])


@pytest.fixture
def reported(session, county, clock):
    """青山镇's four villages, reported: 石桥村 on both sheets (30 public-benefit assets, 10 operating)."""
    now = clock.now()
    villages = {name: county.villages[name] for name in ("石桥村", "竹林村", "上坪村", "下湾村")}
    evaluations = {
        name: reported_evaluation(session, village, YEAR, now, lost=Decimal(1)) for name, village in villages.items()
    }
    session.delete(evaluations["石桥村"])
    session.flush()
    evaluations["石桥村"] = reported_evaluation(
        session, villages["石桥村"], YEAR, now, classes=(PB, OP), lost=Decimal(1), assets={PB: 30, OP: 10}
    )
    return evaluations


def test_combining_two_sheets_weights_them_by_evaluated_assets_unless_the_district_set_weights():
    totals = {PB: Decimal(92), OP: Decimal(72)}
    assert combine(totals, {"public_benefit": 30, "operating": 10}, {PB: None, OP: None}) == Decimal("87.0")
    assert combine(totals, {"public_benefit": 30, "operating": 10}, {PB: Decimal(50), OP: Decimal(50)}) == Decimal(82)
    assert combine(totals, {}, {PB: None, OP: None}) == Decimal(82)  # no counts: even
    assert combine({OP: Decimal(72)}, {"operating": 4}, {OP: None}) == Decimal(72)
    assert weighted_mean([(Decimal(90), 30), (Decimal(70), 10)]) == Decimal(85)
    assert weighted_mean([(Decimal(90), 0), (Decimal(70), 0)]) == Decimal(80)
    assert weighted_mean([]) is None


def test_the_town_accepts_and_adjusts_items_and_the_village_gets_its_score_and_grade(
    session, official, reported, clock
):
    evaluation = reported["石桥村"]
    operating = [s for s in evaluation.scores if s.item.sheet.asset_class is OP]
    first, second = operating[0], operating[1]
    answers = {
        first.id: Answer("0", "运营方案未经村民代表会议通过"),
        second.id: Answer(str(second.confirmed), "与村一致，理由不记"),
    }
    review(session, official, evaluation, answers, timezone=TZ, now=clock.now())
    # public-benefit sheet 92, operating 92 - 11.5 = 80.5 (its first item 12.5 points, 11.5 confirmed)
    assert evaluation.status is Status.REVIEWED
    assert evaluation.class_assets == {"public_benefit": 30, "operating": 10}
    assert (first.town_score, first.town_reason) == (Decimal(0), "运营方案未经村民代表会议通过")
    assert (second.town_score, second.town_reason) == (second.confirmed, None)
    assert evaluation.score == Decimal("89.1")  # (92 × 30 + 80.5 × 10) / 40 = 89.125
    assert evaluation.grade is Grade.GOOD and evaluation.rated_by_id == official.id
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "evaluation", AuditEntry.entity_id == evaluation.id)
    ).one()
    assert entry.action == "review" and entry.changes["分数"] == "89.1"
    assert entry.changes["调整"] == [
        {"项目": first.item.text, "村自评": "11.5", "镇复核": "0.0", "理由": "运营方案未经村民代表会议通过"}
    ]


def test_the_towns_task_closes_when_its_last_village_is_reviewed(session, county, official, reported, clock):
    ensure_deadlines(session, county.district, YEAR, clock.now())
    task = session.scalar(select(Deadline).where(Deadline.key == town_task_key(county.towns["青山镇"].id, YEAR)))
    for number, name in enumerate(("石桥村", "竹林村", "上坪村", "下湾村")):
        assert task.done_at is None, f"closed before {name} (village {number + 1}) was reviewed"
        review(session, official, reported[name], {}, timezone=TZ, now=clock.now())
    assert task.done_at is not None and task.evidence == {"record": f"town_review:{YEAR}"}


@pytest.mark.parametrize(
    ("typed", "reason", "message"),
    [
        ("5", "", "调整分数须说明理由。"),
        ("13", "多给", "分数应在0到12.5之间，最多一位小数。"),
        ("abc", "理由", "请填写0到12.5之间的分数，例如 8 或 8.5。"),
        ("-1", "理由", "分数应在0到12.5之间，最多一位小数。"),
        ("5", "长" * 501, "理由最多500字。"),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_is_written(session, official, reported, clock, typed, reason, message):
    evaluation = reported["竹林村"]
    target = evaluation.scores[0]
    with pytest.raises(Invalid) as refused:
        review(session, official, evaluation, {target.id: Answer(typed, reason)}, timezone=TZ, now=clock.now())
    assert refused.value.fields == {f"item-{target.id}": message}
    assert evaluation.status is Status.REPORTED and evaluation.score is None
    assert all(score.town_score is None for score in evaluation.scores)


def test_only_the_villages_own_town_reviews_and_only_a_reported_evaluation(
    session, build, county, official, reported, clock
):
    other_town = build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"])
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["竹林村"])
    evaluation = reported["竹林村"]
    with pytest.raises(NotFound):
        review(session, other_town, evaluation, {}, timezone=TZ, now=clock.now())
    with pytest.raises(Forbidden):
        review(session, clerk, evaluation, {}, timezone=TZ, now=clock.now())
    evaluation.status = Status.ON_NOTICE
    with pytest.raises(Forbidden, match="公示中"):
        review(session, official, evaluation, {}, timezone=TZ, now=clock.now())
    evaluation.status = Status.RATED
    with pytest.raises(Forbidden, match="重新开启"):
        review(session, official, evaluation, {}, timezone=TZ, now=clock.now())


def test_the_town_reviews_on_its_pages_and_the_village_sees_the_result(
    app, client, session, build, county, official, reported, login_as
):
    login_as(official)
    page = visible_text(client.get(f"/evaluations/review?year={YEAR}").get_data(as_text=True))
    assert "石桥村" in page and "已报镇" in page and "清水村" not in page
    evaluation = reported["竹林村"]
    target = evaluation.scores[2]
    path = f"/evaluations/review/{evaluation.id}"
    form = {"csrf_token": csrf_token(client, path), f"score-{target.id}": "3", f"reason-{target.id}": ""}
    refused = client.post(path, data=form)
    assert refused.status_code == 422 and "调整分数须说明理由。" in visible_text(refused.get_data(as_text=True))
    session.refresh(evaluation)
    assert evaluation.status is Status.REPORTED
    form[f"reason-{target.id}"] = "巡查记录与台账不符"
    assert client.post(path, data=form).status_code == 302
    session.refresh(evaluation)
    assert evaluation.status is Status.REVIEWED and target.town_score == Decimal(3)
    village = app.test_client()
    login(village, build.user(Role.VILLAGE_CLERK, county.villages["竹林村"]))
    result = visible_text(village.get(f"{path}/result").get_data(as_text=True))
    assert "巡查记录与台账不符" in result and "已复核" in result
    assert village.get(path).status_code == 403  # the village reads its review, never makes it


def test_another_towns_or_districts_evaluation_is_not_found(client, session, build, county, reported, login_as):
    other = build.county("别的区")
    login_as(build.user(Role.TOWN_OFFICIAL, other.towns["青山镇"]))
    evaluation = reported["竹林村"]
    for path in (f"/evaluations/review/{evaluation.id}", f"/evaluations/review/{evaluation.id}/result"):
        assert client.get(path).status_code == 404
    token = csrf_token(client, "/evaluations/review")
    assert client.post(f"/evaluations/review/{evaluation.id}", data={"csrf_token": token}).status_code == 404
    assert client.get("/evaluations/review/999999").status_code == 404


def test_the_villages_clerks_are_told_the_review_once_it_is_saved(
    session, build, county, official, reported, app_factory, fake
):
    app = app_factory(**fake.client_config())
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["竹林村"])
    clerk.wechat_openid = "o_clerk_zhulin"
    build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]).wechat_openid = "o_clerk_shiqiao"
    session.flush()
    client = app.test_client()
    login(client, official)
    evaluation = reported["竹林村"]
    target = evaluation.scores[0]
    path = f"/evaluations/review/{evaluation.id}"
    form = {"csrf_token": csrf_token(client, path), f"score-{target.id}": "10", f"reason-{target.id}": "缺管护协议"}
    assert client.post(path, data=form).status_code == 302
    [call] = fake.wait_for_calls("cgi-bin/message/custom/send", 1)
    sent = call.body["request"]
    assert sent["touser"] == "o_clerk_zhulin"
    assert "竹林村2026年度年终自评已由镇复核：90.5分，等次「好」。其中1项有调整。" in sent["text"]["content"]
    assert sent["text"]["content"].endswith(f"{path}/result")


def test_the_districts_sheet_weights_replace_the_asset_counts_and_must_sum_to_100(
    app, session, build, county, official, reported, clock
):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    client = app.test_client()
    login(client, admin)
    path = f"/evaluations/rating/trades?year={YEAR}"
    token = csrf_token(client, path)
    refused = client.post(path, data={"csrf_token": token, "weight-public_benefit": "70", "weight-operating": "40"})
    assert refused.status_code == 422 and "合计须为100" in visible_text(refused.get_data(as_text=True))
    sheets = {score.item.sheet for score in reported["石桥村"].scores}
    assert {sheet.weight for sheet in sheets} == {None}
    saved = client.post(path, data={"csrf_token": token, "weight-public_benefit": "50", "weight-operating": "50"})
    assert saved.status_code == 302
    for sheet in sheets:
        session.refresh(sheet)
    evaluation = reported["石桥村"]
    first = next(s for s in evaluation.scores if s.item.sheet.asset_class is OP)
    review(session, official, evaluation, {first.id: Answer("0", "无运营方案")}, timezone=TZ, now=clock.now())
    assert evaluation.score == Decimal("86.3")  # (92 + 80.5) / 2 = 86.25, not 89.1 by 30 and 10 assets
