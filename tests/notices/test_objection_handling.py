"""Objections (complaints about a notice, with no asset) go through everything complaints do: 转办
(to the town's level only, its assignee told), repeats (keyed by the notice), the inbox's filters,
tasks that link to their subject, 我的反映 in the chat. A rejected objection is not appealed: the
town rejected it itself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.complaints.entities import Complaint, ComplaintStatus, StepKind
from models.complaints.operations import (
    Repeated,
    WrongStep,
    accept,
    appeal,
    assign,
    assignees,
    may_appeal,
    reject,
)
from models.complaints.queries import InboxFilter, get_visible_complaint, search_inbox
from models.deadlines.entities import Deadline
from models.deadlines.sources import sync_deadlines
from models.errors import NotFound
from models.notices.entities import NoticeBoard
from models.storage import LocalStorage
from tests.notices.conftest import JUNE_1, LIMITS
from tests.support.complaints import complaint_about
from tests.support.pages import csrf_token, login, visible_text
from tests.support.wechat_messages import VILLAGER, reply

TZ = "Asia/Shanghai"
BASE = "http://guanhu.test"  # PUBLIC_BASE_URL of the test apps


def objections(session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint).where(Complaint.notice_id.is_not(None)))


def test_an_objection_is_handed_on_at_the_towns_level_and_its_assignee_sees_it(
    session, make_notice, object_to, people, county, clock
):
    objection = object_to(make_notice())
    accept(session, people["town"], objection, clock.now())
    keys = {option.key: option.label for option in assignees(session, objection)}

    assert f"user:{people['town'].id}" in keys and f"region:{county.towns['青山镇'].id}" in keys
    assert f"user:{people['clerk'].id}" not in keys and f"region:{county.villages['石桥村'].id}" not in keys
    roads = people["roads"]
    with pytest.raises(NotFound):  # a notice about no asset of its trades: not the department's
        get_visible_complaint(session, roads, objection.id)

    assign(session, people["town"], objection, f"user:{roads.id}", clock.now())

    assert objection.status is ComplaintStatus.ASSIGNED and get_visible_complaint(session, roads, objection.id)
    assert objection.steps[-1].note == "转交交通运输局办理"  # the unit, never the person's name


def test_the_assignee_of_an_objection_is_told_what_notice_it_is_about(
    app_factory, fake, session, make_notice, object_to, people
):
    app = app_factory(**fake.client_config())
    notice = make_notice()
    objection = object_to(notice)
    people["roads"].wechat_openid = "o_roads"
    session.flush()
    login(client := app.test_client(), people["town"])
    page = visible_text(client.get(f"/complaints/{objection.id}").get_data(as_text=True))
    assert "公示异议，由乡镇办理" in page and "确认不予受理" in page and "群众可申诉" not in page
    token = csrf_token(client, f"/complaints/{objection.id}")
    client.post(f"/complaints/{objection.id}/accept", data={"csrf_token": token})

    handed = client.post(
        f"/complaints/{objection.id}/assign", data={"csrf_token": token, "assigned_to": f"user:{people['roads'].id}"}
    )

    assert handed.status_code == 303
    [call] = fake.wait_for_calls("cgi-bin/message/custom/send", 1)
    text = call.body["request"]["text"]["content"]
    assert call.body["request"]["touser"] == "o_roads"
    assert f"（公示：{notice.title}，青山镇石桥村）" in text and f"/complaints/{objection.id}" in text


def test_the_same_objection_twice_from_one_wechat_or_browser_is_a_repeat(
    client, session, make_notice, object_to, people, clock
):
    notice = make_notice()
    first = object_to(notice, openid=VILLAGER)
    clock.advance(hours=2)
    with pytest.raises(Repeated) as caught:
        object_to(notice, reason="自评分数与实际管护情况不符：水渠半年没人清理！", openid=VILLAGER)
    assert caught.value.earlier is first and objections(session) == 1
    object_to(make_notice(title="另一项公示", subject_id=8), openid=VILLAGER)  # another notice: filed
    assert objections(session) == 2

    path = f"/v/{session.scalar(select(NoticeBoard.token))}/n/{notice.id}/object"
    form = {"csrf_token": csrf_token(client, path), "reason": "公示名单漏了我家，我家是脱贫户。"}
    assert client.post(path, data=form).status_code == 303
    again = client.post(path, data=form)

    assert again.status_code == 409 and objections(session) == 3
    filed = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert f"您今天已反映过相同内容，编号 {filed.tracking_number}" in visible_text(again.get_data(as_text=True))


def test_a_rejected_objection_is_not_appealed(client, session, make_notice, object_to, people, clock):
    objection = object_to(make_notice())
    reject(session, people["town"], objection, "与公示内容无关。", clock.now())

    assert not may_appeal(objection)
    with pytest.raises(WrongStep, match="公示异议由乡镇办理"):
        appeal(session, objection, "我不服。", clock.now(), LIMITS)
    assert objection.status is ComplaintStatus.REJECTED and objection.appealed_at is None
    assert [step.kind for step in objection.steps] == [StepKind.FILED, StepKind.REJECTED]
    page = client.get(f"/t/{objection.public_token}").get_data(as_text=True)
    assert "对不予受理有异议" not in page


def test_the_inbox_finds_objections_by_village_and_by_the_notices_title(
    session, make_notice, object_to, people, county, build, clock, tmp_path
):
    objection = object_to(make_notice(title="石桥村收益分配方案公示"))
    road = build.asset(county.villages["石桥村"], name="石桥村便民路")
    complaint = complaint_about(session, LocalStorage(tmp_path), road, clock)
    town = people["town"]

    def found(**wanted) -> set[int]:
        return {c.id for c in search_inbox(session, town, InboxFilter(**wanted), JUNE_1).items}

    assert found(village_id=county.villages["石桥村"].id) == {objection.id, complaint.id}
    assert found(village_id=county.villages["竹林村"].id) == set()
    assert found(text="收益分配") == {objection.id}
    assert found(text="便民路") == {complaint.id}


def test_an_objections_task_links_to_it_and_a_notice_end_to_the_notice(
    app, session, make_notice, object_to, people, clock
):
    notice = make_notice(people["clerk"])
    objection = object_to(notice)
    sync_deadlines(session, clock.now(), TZ)

    town = app.test_client()
    login(town, people["town"])
    page = town.get("/tasks").get_data(as_text=True)
    assert f'<a href="/complaints/{objection.id}">受理公示异议：{notice.title}</a>' in page
    clerk = app.test_client()
    login(clerk, people["clerk"])
    page = clerk.get("/tasks").get_data(as_text=True)
    assert f'<a href="/notices/{notice.id}">公示期满：{notice.title}</a>' in page
    assert clerk.get(f"/notices/{notice.id}").status_code == 200


def test_my_reports_in_the_chat_list_an_objection_by_its_notice(
    wechat_client, messages, session, make_notice, object_to, clock
):
    notice = make_notice()
    objection = object_to(notice, openid=VILLAGER)

    listed = reply(wechat_client, messages, messages.event("CLICK", "MY_COMPLAINTS"))["Content"]
    found = reply(wechat_client, messages, messages.text(f"我的反映 {objection.tracking_number}"))["Content"]

    assert f"{objection.tracking_number} 待受理（公示：{notice.title}）" in listed
    assert (
        found
        == f"{objection.tracking_number} 待受理（公示：{notice.title}）\n查看进展：{BASE}/t/{objection.public_token}"
    )


def test_an_objections_deadline_closes_the_moment_the_town_accepts_it(
    app, session, make_notice, object_to, people, clock
):
    objection = object_to(make_notice())
    sync_deadlines(session, clock.now(), TZ)  # a tick opened its task
    login(client := app.test_client(), people["town"])
    token = csrf_token(client, f"/complaints/{objection.id}")
    client.post(f"/complaints/{objection.id}/accept", data={"csrf_token": token})

    assert session.scalar(select(Deadline.done_at).where(Deadline.title.startswith("受理公示异议"))) is not None
    open_titles = session.scalars(select(Deadline.title).where(Deadline.done_at.is_(None))).all()
    assert [title for title in open_titles if "公示异议" in title] == [f"答复公示异议：{objection.notice.title}"]
