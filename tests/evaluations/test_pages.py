"""The evaluation's web doors: the clerk's form, signatures, targets and sheets, each route refusing
another region's id with 404 and bad input with a clear message."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from models import audit
from models.assets.entities import Asset
from models.errors import Invalid
from models.evaluations.entities import EvaluatedAsset, ScoreSheet, Stage, Status, VillageEvaluation, VillageTarget
from models.evaluations.form import open_evaluation
from models.evaluations.signing import sign
from models.evaluations.targets import mark_assets
from models.people import Department, Role
from tests.evaluations.conftest import TZ
from tests.evaluations.test_cycle import TODAY
from tests.support.pages import csrf_token, login, visible_text


def the_evaluation(session) -> VillageEvaluation:
    session.expire_all()
    return session.scalar(select(VillageEvaluation))


def test_the_clerk_starts_fills_in_and_submits_the_form(client, session, people, login_as):
    login_as(people.clerk)
    page = client.get("/evaluations/2026/self-evaluation")
    assert page.status_code == 200 and "开始填写年终自评表" in visible_text(page.get_data(as_text=True))
    token = csrf_token(client, "/evaluations/2026/self-evaluation")
    started = client.post("/evaluations/2026/self-evaluation/start", data={"csrf_token": token})
    evaluation = the_evaluation(session)
    assert started.status_code == 303 and started.location.endswith(f"/evaluations/form/{evaluation.id}")
    assert client.get("/evaluations/2026/self-evaluation").location.endswith(f"/evaluations/form/{evaluation.id}")
    form = visible_text(client.get(f"/evaluations/form/{evaluation.id}").get_data(as_text=True))
    assert "建议分：12.5" in form and "明确村级组织管护主体责任" in form

    data = {"csrf_token": token, "then": "submit"}
    for score in evaluation.scores:
        data[f"score-{score.id}"] = str(score.item.points)
    refused = client.post(f"/evaluations/form/{evaluation.id}/scores", data=data)
    assert refused.status_code == 422 and "请说明修改理由" in visible_text(refused.get_data(as_text=True))
    assert the_evaluation(session).scores[0].confirmed is None
    for score in evaluation.scores:
        if score.proposed is not None and score.proposed != score.item.points:
            data[f"reason-{score.id}"] = "已核对台账"
    data[f"score-{evaluation.scores[3].id}"] = "99"
    too_high = client.post(f"/evaluations/form/{evaluation.id}/scores", data=data)
    assert too_high.status_code == 422 and "分数应在0到12.5之间" in visible_text(too_high.get_data(as_text=True))
    data[f"score-{evaluation.scores[3].id}"] = "12.5"
    short = client.post(f"/evaluations/form/{evaluation.id}/scores", data=data)  # no inspection at all this year
    assert short.status_code == 422 and "未达到绩效目标，请填写偏差原因及改进措施" in visible_text(
        short.get_data(as_text=True)
    )
    data.update({f"shortfall-{s.id}": "补齐巡查台账" for s in evaluation.scores if s.evidence.get("short")})
    done = client.post(f"/evaluations/form/{evaluation.id}/scores", data=data)
    assert done.status_code == 303 and the_evaluation(session).status is Status.SIGNING


def test_supervisors_sign_on_the_web_and_the_wrong_people_cannot(app, client, session, people, submitted, login_as):
    evaluation = submitted()
    login_as(people.chair)
    token = csrf_token(client, f"/evaluations/form/{evaluation.id}")
    page = visible_text(client.get(f"/evaluations/form/{evaluation.id}").get_data(as_text=True))
    assert "以村务监督委员会主任身份签字确认" in page
    signed = client.post(f"/evaluations/form/{evaluation.id}/sign", data={"csrf_token": token})
    assert signed.status_code == 303
    again = client.post(f"/evaluations/form/{evaluation.id}/sign", data={"csrf_token": token})
    assert again.status_code == 422 and "不能重复签字" in visible_text(again.get_data(as_text=True))
    bad_scan = client.post(
        f"/evaluations/form/{evaluation.id}/sign",
        data={"csrf_token": token, "scan": (io.BytesIO(b"not a scan"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert bad_scan.status_code == 422

    clerk = app.test_client()
    login(clerk, people.clerk)
    refused = clerk.post(f"/evaluations/form/{evaluation.id}/sign", data={"csrf_token": csrf_token(clerk, "/tasks")})
    assert refused.status_code == 403 and "只有本村村务监督委员会主任和合作社监事会主任" in refused.get_data(
        as_text=True
    )


def test_a_scan_of_the_stamped_paper_is_kept_with_the_signature(client, session, people, submitted, login_as):
    evaluation = submitted()
    login_as(people.board)
    token = csrf_token(client, f"/evaluations/form/{evaluation.id}")
    scan = b"%PDF-1.4 stamped"
    response = client.post(
        f"/evaluations/form/{evaluation.id}/sign",
        data={"csrf_token": token, "scan": (io.BytesIO(scan), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    [signature] = the_evaluation(session).signatures
    shown = client.get(f"/evaluations/form/{evaluation.id}/signatures/{signature.id}/scan")
    assert shown.status_code == 200 and shown.data == scan and shown.mimetype == "application/pdf"


def test_the_supervisor_sends_back_and_the_town_reopens(app, client, session, people, submitted, login_as):
    evaluation = submitted()
    login_as(people.board)
    token = csrf_token(client, f"/evaluations/form/{evaluation.id}")
    empty = client.post(f"/evaluations/form/{evaluation.id}/send-back", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "请填写退回理由" in visible_text(empty.get_data(as_text=True))
    back = client.post(f"/evaluations/form/{evaluation.id}/send-back", data={"csrf_token": token, "reason": "核对台账"})
    assert back.status_code == 303 and the_evaluation(session).status is Status.SENT_BACK

    clerk = app.test_client()
    login(clerk, people.clerk)
    assert "退回理由：核对台账" in visible_text(clerk.get(f"/evaluations/form/{evaluation.id}").get_data(as_text=True))
    submit_token = csrf_token(clerk, f"/evaluations/form/{evaluation.id}")
    resubmit = {"csrf_token": submit_token, "then": "submit"}
    for score in the_evaluation(session).scores:
        resubmit[f"score-{score.id}"] = str(score.confirmed)
        resubmit[f"reason-{score.id}"] = score.change_reason or ""
        resubmit[f"shortfall-{score.id}"] = score.shortfall or ""
    assert clerk.post(f"/evaluations/form/{evaluation.id}/scores", data=resubmit).status_code == 303
    evaluation = the_evaluation(session)
    sign(session, people.chair, evaluation, today=TODAY, now=evaluation.updated_at)
    town = app.test_client()
    login(town, people.town)
    token = csrf_token(town, f"/evaluations/form/{evaluation.id}")
    reopened = town.post(f"/evaluations/form/{evaluation.id}/reopen", data={"csrf_token": token, "reason": "重算"})
    assert reopened.status_code == 303 and the_evaluation(session).status is Status.DRAFT


ROUTES = (
    ("get", "/evaluations/form/{id}"),
    ("post", "/evaluations/form/{id}/scores"),
    ("post", "/evaluations/form/{id}/sign"),
    ("post", "/evaluations/form/{id}/send-back"),
    ("post", "/evaluations/form/{id}/reopen"),
    ("get", "/evaluations/form/{id}/signatures/1/scan"),
)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_regions_evaluation_is_not_found(app, session, people, submitted, build, county, method, path):
    evaluation = submitted()
    outsiders = (
        people.other_clerk,
        build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"]),
        build.user(Role.CUSTODIAN, people.village),
    )
    for outsider in outsiders:
        client = app.test_client()
        login(client, outsider)
        url = path.format(id=evaluation.id)
        data = {"csrf_token": csrf_token(client, "/tasks"), "reason": "x"}
        response = client.get(url) if method == "get" else client.post(url, data=data)
        assert response.status_code == 404, (outsider.role, url)
    client = app.test_client()
    login(client, people.other_clerk)
    assert client.get("/evaluations/form/999999").status_code == 404


def test_the_district_issues_targets_and_a_village_sees_them(app, client, session, people, build, county, login_as):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    login_as(admin)
    token = csrf_token(client, "/evaluations/2026/targets")
    bad = client.post("/evaluations/2026/targets", data={"csrf_token": token, "satisfaction": "120"})
    assert bad.status_code == 422 and "群众满意率（%）应为0到100之间的整数" in visible_text(bad.get_data(as_text=True))
    issued = client.post("/evaluations/2026/targets", data={"csrf_token": token, "satisfaction": "85"})
    assert issued.status_code == 303
    targets = session.scalars(select(VillageTarget)).all()
    assert len(targets) == 12 and all(t.values["satisfaction"] == 85 and t.issued_at for t in targets)
    clerk = app.test_client()
    login(clerk, people.clerk)
    seen = visible_text(clerk.get("/evaluations/2026/targets").get_data(as_text=True))
    assert "群众满意率（%） 85" in seen and "青山镇石桥村" in seen and "清水村" not in seen
    assert clerk.post("/evaluations/2026/targets", data={"csrf_token": csrf_token(clerk, "/tasks")}).status_code == 403
    other = county.villages["清水村"]
    department = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    trade = app.test_client()
    login(trade, department)
    assert trade.get(f"/evaluations/2026/targets/villages/{other.id}").status_code == 200
    town = app.test_client()
    login(town, people.town)
    assert town.get(f"/evaluations/2026/targets/villages/{other.id}").status_code == 404


def test_the_district_gives_one_village_its_own_targets_which_its_proposals_use(
    app, client, session, people, build, county, login_as, clock
):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    login_as(admin)
    page = f"/evaluations/2026/targets/villages/{people.village.id}/values"
    token = csrf_token(client, page)
    assert "本村目标尚未下达" in visible_text(client.get(page).get_data(as_text=True))
    bad = client.post(page, data={"csrf_token": token, "custodian_share": "八十"})
    assert bad.status_code == 422 and "应为0到100之间的整数" in visible_text(bad.get_data(as_text=True))
    assert session.scalars(select(VillageTarget)).all() == []  # nothing half-written
    before = client.post(page, data={"csrf_token": token, "custodian_share": "80"})
    assert before.status_code == 303
    issued = client.post("/evaluations/2026/targets", data={"csrf_token": token, "custodian_share": "90"})
    assert issued.status_code == 303
    targets = {t.village.name: t for t in session.scalars(select(VillageTarget))}
    assert targets["石桥村"].values["custodian_share"] == 80 and targets["竹林村"].values["custodian_share"] == 90
    assert targets["石桥村"].issued_at is not None
    listed = visible_text(client.get("/evaluations/2026/targets").get_data(as_text=True))
    assert "本村单独目标" in listed and 'value="90"' in client.get("/evaluations/2026/targets").get_data(as_text=True)
    after = client.post(page, data={"csrf_token": token, "custodian_share": "60"})
    session.expire_all()
    assert after.status_code == 303 and targets["石桥村"].values["custodian_share"] == 60
    changes = [e.changes for e in audit.history(session, "evaluation_targets", people.village.id)]
    assert [c["目标"][1]["custodian_share"] for c in changes if "村" in c] == [80, 60]

    evaluation = open_evaluation(
        session, people.clerk, people.village, 2026, Stage.SELF_EVALUATION, now=clock.now(), timezone=TZ
    )
    assert {s.item.rule: s for s in evaluation.scores}["custodian_coverage"].evidence["target"] == "60"

    other = app.test_client()
    login(other, people.town)
    assert other.get(page).status_code == 403
    assert client.get("/evaluations/2026/targets/villages/999999/values").status_code == 404


def test_the_district_edits_a_sheet_to_exactly_100_and_a_used_sheet_is_locked(
    client, session, people, submitted, build, county, login_as
):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    login_as(admin)
    path = "/evaluations/2027/sheets/public_benefit"
    page = client.get(path)
    assert page.status_code == 200
    token = csrf_token(client, path)
    sheet = session.scalar(
        select(ScoreSheet).where(ScoreSheet.year == 2027, ScoreSheet.asset_class == "public_benefit")
    )
    data = {"csrf_token": token}
    for number, item in enumerate(sheet.items, start=1):
        data |= {f"id-{number}": str(item.id), f"position-{number}": str(number), f"text-{number}": item.text}
        data |= {f"points-{number}": str(item.points), f"guidance-{number}": item.guidance}
    data["points-1"] = "20"
    refused = client.post(path, data=data)
    assert refused.status_code == 422 and "各项分值合计应为100分，现在是107.5分" in visible_text(
        refused.get_data(as_text=True)
    )
    data["points-2"] = "5"  # 20 + 5 + 6 × 12.5 = 100
    data["position-2"] = "9"  # moved to the end
    assert client.post(path, data=data).status_code == 303
    session.expire_all()
    assert [str(i.points) for i in sheet.items][:1] == ["20.0"] and str(sheet.items[-1].points) == "5.0"

    submitted()  # 2026's sheet is now in use
    used = "/evaluations/2026/sheets/public_benefit"
    assert "不能再修改" in visible_text(client.get(used).get_data(as_text=True))
    locked = client.post(used, data={"csrf_token": token, "text-1": "x", "points-1": "100"})
    assert locked.status_code == 409
    exported = client.get("/evaluations/2027/sheets/public_benefit.xlsx")
    assert exported.status_code == 200 and exported.data[:2] == b"PK"


def test_my_tasks_link_to_the_form(client, people, login_as):
    login_as(people.chair)
    page = client.get("/tasks").get_data(as_text=True)
    assert 'href="/evaluations/2026/self-check"' in page and 'href="/evaluations/2026/self-evaluation"' in page


def test_sheets_are_read_by_staff_edited_by_the_district_office_only(app, session, people, build, county):
    custodian = build.user(Role.CUSTODIAN, people.village)
    path = "/evaluations/2026/sheets/public_benefit"
    for user, read, write in ((people.town, 200, 403), (people.clerk, 200, 403), (custodian, 404, 404)):
        client = app.test_client()
        login(client, user)
        assert client.get(path).status_code == read
        data = {"csrf_token": csrf_token(client, "/tasks"), "text-1": "x", "points-1": "100"}
        assert client.post(path, data=data).status_code == write
    admin = app.test_client()
    login(admin, build.user(Role.DISTRICT_ADMIN, county.district))
    assert admin.get("/evaluations/2026/sheets/household").status_code == 404  # 到户类 is not evaluated


def test_a_department_marks_only_the_assets_of_its_trade(session, people, build, county, clock):
    road = session.scalar(select(Asset).where(Asset.village_id == people.village.id))
    water = build.asset(people.village, subtype="供水饮水")
    transport = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    assert mark_assets(session, transport, people.village, 2026, {road.id}, clock.now()) == 1
    with pytest.raises(Invalid):
        mark_assets(session, transport, people.village, 2026, {water.id}, clock.now())
    marked = session.scalars(select(EvaluatedAsset.asset_id).where(EvaluatedAsset.year == 2026)).all()
    assert marked == [road.id]
    assert mark_assets(session, transport, people.village, 2026, set(), clock.now()) == 0  # unmarked again
    assert session.scalars(select(EvaluatedAsset.asset_id)).all() == []


def test_the_home_page_asks_each_supervisor_for_their_own_posts_signature(app, session, people, submitted, clock):
    evaluation = submitted()

    def waiting_of(user) -> tuple[str, str]:
        client = app.test_client()
        login(client, user)
        page = client.get("/").get_data(as_text=True)
        if f'href="/evaluations/form/{evaluation.id}"' in page:
            linked = visible_text(client.get(f"/evaluations/form/{evaluation.id}").get_data(as_text=True))
            assert f"以{user.village_post.label}身份签字确认" in linked
        return visible_text(page[page.index("等我办的") : page.index("辖区一览")]), page

    chair, page = waiting_of(people.chair)
    assert "考评待签字" in chair and "2026年度年终自评" in chair and "待您以村务监督委员会主任签字" in chair
    assert f'href="/evaluations/form/{evaluation.id}"' in page
    assert "考评待签字" not in waiting_of(people.clerk)[0]

    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    session.flush()
    assert "考评待签字" not in waiting_of(people.chair)[0]
    assert "待您以合作社监事会主任签字" in waiting_of(people.board)[0]


def test_the_towns_and_the_districts_tasks_link_to_the_review_and_the_rating(app, people, build, county):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    for user, path, title in ((people.town, "/evaluations/review?year=2026", "复核各村自评"),
                              (admin, "/evaluations/rating?year=2026", "评定各乡镇")):  # fmt: skip
        client = app.test_client()
        login(client, user)
        page = client.get("/tasks").get_data(as_text=True)
        assert f'href="{path}"' in page
        assert client.get(path).status_code == 200
        assert title in visible_text(client.get(path).get_data(as_text=True))


def test_a_department_opens_only_the_evidence_of_its_own_trade(app, session, people, submitted, build, county):
    evaluation = submitted()
    road = session.scalar(select(Asset).where(Asset.village_id == people.village.id))
    departments = session.scalars(select(Department).where(Department.district_id == county.district.id)).all()
    own = next(d for d in departments if road.subtype in d.subtypes)
    other = next(d for d in departments if road.subtype not in d.subtypes)
    shown = {d.name: visible_page(app, build.user(Role.DEPARTMENT, county.district, department=d.name), evaluation)
             for d in (own, other)}  # fmt: skip
    assert f'href="/assets/{road.id}"' in shown[own.name]
    assert f'href="/assets/{road.id}"' not in shown[other.name] and f"#{road.id}" in shown[other.name]


def visible_page(app, user, evaluation) -> str:
    client = app.test_client()
    login(client, user)
    response = client.get(f"/evaluations/form/{evaluation.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)
