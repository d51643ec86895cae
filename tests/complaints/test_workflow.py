"""Complaints: filing, the workflow with who/when, time limits as data, rating, scope, and the push."""

from __future__ import annotations

import datetime as dt
import html
import io

import pytest
from sqlalchemy import func, select

from infra.settings import SANDBOX_TEMPLATE_IDS
from models import audit
from models.complaints.entities import ComplaintStatus, StepKind
from models.complaints.operations import (
    ComplaintLimits,
    WrongStep,
    accept,
    answer,
    assign,
    rate,
    reject,
)
from models.complaints.queries import LimitKind, by_number_and_phone, open_limits, overdue_complaints, public_counts
from models.errors import Forbidden, Invalid
from models.people import Role
from models.photos import Photo
from models.wechat.entities import Delivery, DeliveryStatus
from tests.support import photo_files
from tests.support.complaints import complaint_about as filed
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.pages import csrf_token, login

LIMITS = ComplaintLimits()
ANSWER_TEMPLATE = SANDBOX_TEMPLATE_IDS["complaint_answer"]  # a template the fake account has


@pytest.fixture
def asset(build, county):
    return build.asset(county.villages["石桥村"])


def test_tracking_numbers_count_per_year_and_due_dates_follow_the_limits(session, storage, asset, clock):
    first = filed(session, storage, asset, clock)
    second = filed(session, storage, asset, clock, photos=[photo_files.jpeg(1)])
    assert (first.tracking_number, second.tracking_number) == ("TS-2026-000001", "TS-2026-000002")
    assert first.status is ComplaintStatus.NEW
    assert first.accept_due_on == dt.date(2026, 6, 4) and first.answer_due_on == dt.date(2026, 6, 16)
    assert len(second.photos) == 1 and second.steps[0].kind is StepKind.FILED
    clock.advance(days=365)
    assert filed(session, storage, asset, clock).tracking_number == "TS-2027-000001"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("description", {"description": "坏了"}),
        ("description", {"description": "很" * 1001}),
        ("category", {"category": "乱写"}),
        ("contact_phone", {"contact_phone": "12345"}),
        ("contact_name", {"contact_name": "名" * 21}),
        ("photos", {"photos": [photo_files.jpeg(i) for i in range(4)]}),
    ],
)
def test_bad_complaint_input_is_refused_with_a_reason_and_writes_nothing(
    session, storage, asset, clock, field, overrides
):
    with pytest.raises(Invalid) as caught:
        filed(session, storage, asset, clock, **overrides)
    assert field in caught.value.fields
    assert public_counts(session, asset.id) == (0, 0)


def test_the_workflow_records_who_and_when_and_audits_every_step(session, storage, asset, clock, build, county):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="李文书")
    complaint = filed(session, storage, asset, clock, openid="o_villager_1")
    accept(session, clerk, complaint, clock.now())
    with pytest.raises(WrongStep):
        accept(session, clerk, complaint, clock.now())
    assign(session, clerk, complaint, f"region:{asset.village_id}", clock.now())
    clock.advance(days=2)
    answer(session, storage, clerk, complaint, "已组织修补坑洞，恢复通行。", [], clock.now())
    assert complaint.status is ComplaintStatus.ANSWERED
    assert [s.kind for s in complaint.steps] == [
        StepKind.FILED,
        StepKind.ACCEPTED,
        StepKind.ASSIGNED,
        StepKind.ANSWERED,
    ]
    assert {s.actor_name for s in complaint.steps[1:]} == {"李文书"}
    assert public_counts(session, asset.id) == (1, 1)
    entries = audit.history(session, "complaint", complaint.id)
    assert [e.action for e in entries] == ["filed", "accepted", "assigned", "answered"]
    assert audit.verify_chain(entries)


def test_unsatisfied_rating_reopens_for_the_town_and_village_staff_may_no_longer_act(
    session, storage, asset, clock, build, county
):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    complaint = filed(session, storage, asset, clock)
    accept(session, clerk, complaint, clock.now())
    answer(session, storage, clerk, complaint, "已经看过了，没有问题。", [], clock.now())
    clock.advance(days=5)
    rate(session, complaint, "不满意", clock.now(), LIMITS)
    assert complaint.status is ComplaintStatus.REOPENED
    assert complaint.answer_due_on == dt.date(2026, 6, 21)
    with pytest.raises(Forbidden):
        answer(session, storage, clerk, complaint, "再看了一次，还是没有问题。", [], clock.now())
    answer(session, storage, town, complaint, "乡镇已派人修复坑洞并回访。", [], clock.now())
    rate(session, complaint, "满意", clock.now(), LIMITS)
    assert complaint.status is ComplaintStatus.CLOSED
    with pytest.raises(WrongStep):
        rate(session, complaint, "满意", clock.now(), LIMITS)


def test_rejecting_needs_a_reason_and_supervisors_cannot_handle(session, storage, asset, clock, build, county):
    supervisor = build.user(Role.VILLAGE_SUPERVISOR, county.villages["石桥村"])
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    complaint = filed(session, storage, asset, clock)
    with pytest.raises(Forbidden):
        accept(session, supervisor, complaint, clock.now())
    with pytest.raises(Invalid):
        reject(session, clerk, complaint, "  ", clock.now())
    reject(session, clerk, complaint, "反映的资产不在本村。", clock.now())
    assert complaint.status is ComplaintStatus.REJECTED


def test_time_limits_are_data_the_reminder_jobs_can_read(session, storage, asset, clock, build, county):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    waiting = filed(session, storage, asset, clock)
    accepted = filed(session, storage, asset, clock)
    accept(session, clerk, accepted, clock.now())
    today = dt.date(2026, 6, 5)  # accept limit (4 June) passed, answer limit (16 June) not yet
    assert [(d.complaint.id, d.limit) for d in overdue_complaints(session, today)] == [(waiting.id, LimitKind.ACCEPT)]
    soon = open_limits(session, dt.date(2026, 6, 16))
    assert {(d.complaint.id, d.limit) for d in soon} == {
        (waiting.id, LimitKind.ACCEPT),
        (waiting.id, LimitKind.ANSWER),
        (accepted.id, LimitKind.ANSWER),
    }


def test_my_complaint_is_found_by_number_and_the_phones_last_four_digits_only(session, storage, asset, clock):
    complaint = filed(session, storage, asset, clock, contact_phone="13912345678")
    anonymous = filed(session, storage, asset, clock)
    assert by_number_and_phone(session, complaint.tracking_number, "5678", 2026) is complaint
    assert by_number_and_phone(session, complaint.tracking_number, "1234", 2026) is None
    assert by_number_and_phone(session, anonymous.tracking_number, "5678", 2026) is None


# -- the back office ----------------------------------------------------------------------------


def test_staff_of_another_region_get_404_for_a_complaint(
    session, storage, asset, clock, build, county, client, login_as
):
    complaint = filed(session, storage, asset, clock)
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["清水村"]))
    assert client.get(f"/complaints/{complaint.id}").status_code == 404
    response = client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": csrf_token(client, "/complaints")})
    assert response.status_code == 404
    assert complaint.tracking_number not in client.get("/complaints").get_data(as_text=True)
    assert complaint.status is ComplaintStatus.NEW


def test_staff_move_a_complaint_along_from_the_detail_page(
    session, storage, asset, clock, build, county, client, login_as
):
    complaint = filed(session, storage, asset, clock, contact_phone="13912345678")
    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="王镇长"))
    page = client.get("/complaints").get_data(as_text=True)
    assert complaint.tracking_number in page
    token = csrf_token(client, f"/complaints/{complaint.id}")
    assert "13912345678" in client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token}).status_code == 303
    short = client.post(f"/complaints/{complaint.id}/answer", data={"csrf_token": token, "answer": "好"})
    assert short.status_code == 422 and "答复内容至少写5个字" in short.get_data(as_text=True)
    data = {
        "csrf_token": token,
        "answer": "已修复路面并拍照留存。",
        "photos": (io.BytesIO(photo_files.jpeg(2)), "a.jpg"),
    }
    assert client.post(f"/complaints/{complaint.id}/answer", data=data).status_code == 303
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.ANSWERED
    assert len(complaint.last_answer.photos) == 1
    assert client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token}).status_code == 409


def test_the_answer_is_pushed_as_a_template_message_once(
    session, storage, asset, clock, build, county, app_factory, tmp_path, login_as
):
    with serve_fake_wechat(tmp_path) as fake:
        app = app_factory(**fake.client_config(COMPLAINT_ANSWER_TEMPLATE_ID=ANSWER_TEMPLATE))
        client = app.test_client()
        complaint = filed(session, storage, asset, clock, openid="o_villager_1")
        login(client, build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
        token = csrf_token(client, f"/complaints/{complaint.id}")
        client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token})
        client.post(f"/complaints/{complaint.id}/answer", data={"csrf_token": token, "answer": "已经修好了路面。"})
        [call] = fake.wait_for_calls("cgi-bin/message/template/send", 1)
        sent = call.body["request"]
        assert sent["touser"] == "o_villager_1" and sent["template_id"] == ANSWER_TEMPLATE
        assert sent["url"].endswith(f"/t/{complaint.public_token}")
        assert sent["data"]["character_string1"]["value"] == complaint.tracking_number
        [delivery] = session.scalars(select(Delivery)).all()
        assert delivery.status is DeliveryStatus.SENT and delivery.key.startswith("complaint-answered:")
        assert (delivery.user_id, delivery.region_id) == (None, asset.village_id)  # in that village's log


def test_the_list_pages_newest_first_and_keeps_its_filter(
    session, storage, asset, clock, build, county, client, login_as
):
    numbers = [filed(session, storage, asset, clock).tracking_number for _ in range(31)]
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    first = client.get("/complaints?status=new").get_data(as_text=True)
    assert "第 1 / 2 页" in first and numbers[-1] in first and numbers[0] not in first
    assert html.escape("/complaints?status=new&page=2") in first
    second = client.get("/complaints?status=new&page=2").get_data(as_text=True)
    assert numbers[0] in second and numbers[1] not in second and "上一页" in second
    assert numbers[-1] in client.get("/complaints?page=x").get_data(as_text=True)  # a bad page number: the first
    beyond = client.get("/complaints?status=new&page=9").get_data(as_text=True)  # past the end: the last
    assert "第 2 / 2 页" in beyond and numbers[0] in beyond


def test_an_answer_with_too_many_or_unreadable_photos_is_refused_and_keeps_nothing(
    session, storage, asset, clock, build, county, client, login_as
):
    complaint = filed(session, storage, asset, clock)
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    token = csrf_token(client, f"/complaints/{complaint.id}")
    assert client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token}).status_code == 303
    answer = {"csrf_token": token, "answer": "已修复路面并拍照留存。"}
    four = [(io.BytesIO(photo_files.jpeg(i)), f"{i}.jpg") for i in range(4)]
    too_many = client.post(f"/complaints/{complaint.id}/answer", data={**answer, "photos": four})
    assert too_many.status_code == 422 and "最多上传3张照片" in too_many.get_data(as_text=True)
    unreadable = client.post(
        f"/complaints/{complaint.id}/answer", data={**answer, "photos": (io.BytesIO(b"not a photo"), "a.jpg")}
    )
    assert unreadable.status_code == 415 and "不是可以识别的照片" in unreadable.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(complaint), complaint.id).status is ComplaintStatus.ACCEPTED
    assert session.scalar(select(func.count()).select_from(Photo)) == 0
