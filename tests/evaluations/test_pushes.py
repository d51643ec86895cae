"""Who is pushed at each step: the supervisors when there is something to sign, the clerk when it
came back, the town when the village reported (after its notice, by the notices job)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.handlers.deadlines import task_lines
from infra.database import unit_of_work
from jobs.notices import decide_notices
from models.deadlines.tasks import waiting_for
from models.evaluations.entities import VillageEvaluation
from models.evaluations.form import submit
from models.evaluations.signing import NOTICE_KIND, sign
from models.notices.queries import notice_for
from models.people import Role
from models.wechat.binding import issue_bind_code, redeem_bind_code
from tests.evaluations.test_cycle import TODAY
from tests.support.pages import csrf_token, login
from tests.support.sign_in import WECHAT_BROWSER, through_wechat_oauth


def test_each_step_is_pushed_to_the_people_it_waits_for(app_factory, fake, session, people, clock):
    app = app_factory(**fake.client_config())
    for user, openid in ((people.clerk, "o_clerk"), (people.chair, "o_chair"), (people.board, "o_board")):
        user.wechat_openid = openid
    people.town.wechat_openid = "o_town"
    session.flush()
    client = app.test_client()
    login(client, people.clerk)
    token = csrf_token(client, "/evaluations/2026/self-evaluation")
    client.post("/evaluations/2026/self-evaluation/start", data={"csrf_token": token})
    evaluation = session.scalar(select(VillageEvaluation))
    data = {"csrf_token": token, "then": "submit"}
    for score in evaluation.scores:
        data[f"score-{score.id}"] = str(score.item.points)
        data[f"reason-{score.id}"] = "核对台账后应得满分"
        data[f"shortfall-{score.id}"] = "补齐巡查台账"
    assert client.post(f"/evaluations/form/{evaluation.id}/scores", data=data).status_code == 303
    calls = fake.wait_for_calls("cgi-bin/message/custom/send", 2)
    assert {c.body["request"]["touser"] for c in calls} == {"o_chair", "o_board"}
    assert "【待签字】" in calls[0].body["request"]["text"]["content"]

    supervisor = app.test_client()
    login(supervisor, people.chair)
    back = supervisor.post(
        f"/evaluations/form/{evaluation.id}/send-back",
        data={"csrf_token": csrf_token(supervisor, "/tasks"), "reason": "第2项请核对"},
    )
    assert back.status_code == 303
    *_, call = fake.wait_for_calls("cgi-bin/message/custom/send", 3)
    assert call.body["request"]["touser"] == "o_clerk" and "第2项请核对" in call.body["request"]["text"]["content"]

    session.expire_all()
    evaluation = session.get(VillageEvaluation, evaluation.id)
    submit(session, people.clerk, evaluation, clock.now())  # (the domain alone: no push)
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    sign(session, people.board, evaluation, today=TODAY, now=clock.now())
    notice = notice_for(session, NOTICE_KIND, evaluation.id)
    clock.at = dt.datetime.combine(notice.ends_on + dt.timedelta(days=1), dt.time(1), dt.UTC)
    session.flush()
    with app.app_context():
        work = unit_of_work()
        decide_notices(work.session, clock.now())
        work.commit()
    calls = fake.wait_for_calls("cgi-bin/message/custom/send", 4)
    assert len(calls) == 4  # to sign (two supervisors), sent back (the clerk), reported (the town)
    assert calls[-1].body["request"]["touser"] == "o_town"
    assert "【已上报】" in calls[-1].body["request"]["text"]["content"]


def test_issued_targets_reach_every_bound_clerk_and_the_chat_links_the_steps(
    app_factory, fake, session, people, build, county, clock
):
    app = app_factory(**fake.client_config())
    people.clerk.wechat_openid, people.other_clerk.wechat_openid = "o_clerk", "o_other"
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    session.flush()
    client = app.test_client()
    login(client, admin)
    token = csrf_token(client, "/evaluations/2026/targets")
    assert client.post("/evaluations/2026/targets", data={"csrf_token": token}).status_code == 303
    calls = fake.wait_for_calls("cgi-bin/message/custom/send", 2)
    assert {c.body["request"]["touser"] for c in calls} == {"o_clerk", "o_other"}
    assert "绩效目标已下达" in calls[0].body["request"]["text"]["content"]
    own = client.post(
        f"/evaluations/2026/targets/villages/{people.village.id}/values",
        data={"csrf_token": token, "satisfaction": "80"},
    )
    assert own.status_code == 303
    changed = fake.wait_for_calls("cgi-bin/message/custom/send", 3)[2].body["request"]
    assert changed["touser"] == "o_clerk" and "调整了青山镇石桥村2026年度的绩效目标值" in changed["text"]["content"]

    lines = task_lines(waiting_for(session, people.chair, TODAY), "https://guanhu.example")
    assert any(line.endswith("打开年中自查表：https://guanhu.example/evaluations/2026/self-check") for line in lines)


def test_a_supervisor_opens_the_pushed_link_in_wechat_signed_in_by_oauth_and_signs(
    app_factory, fake, session, people, submitted, clock
):
    app = app_factory(**fake.client_config())
    redeem_bind_code(session, "o_chair", issue_bind_code(session, people.chair, clock.now()), clock.now())
    evaluation = submitted()
    client = app.test_client()
    path = f"/evaluations/form/{evaluation.id}"
    back = through_wechat_oauth(client, fake, path, "o_chair")
    assert back.status_code == 302 and back.headers["Location"] == path
    page = client.get(path, headers=WECHAT_BROWSER).get_data(as_text=True)
    assert "以村务监督委员会主任身份签字确认" in page
    token = csrf_token(client, path)
    signed = client.post(f"{path}/sign", data={"csrf_token": token}, headers=WECHAT_BROWSER)
    assert signed.status_code == 303
    session.expire_all()
    [signature] = session.get(VillageEvaluation, evaluation.id).valid_signatures
    assert signature.user_id == people.chair.id
