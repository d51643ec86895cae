"""Handling complaints beyond the basic path: 转办 to a person or a unit (who sees it and is told),
appeals against a rejection, repeats, 不满意 with a reason, confirmations, and the numbers people type."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import audit
from models.complaints.entities import Complaint, ComplaintStatus, StepKind
from models.complaints.operations import (
    ComplaintLimits,
    Repeated,
    WrongStep,
    accept,
    answer,
    appeal,
    assign,
    assignees,
    may_appeal,
    normalised,
    rate,
    reject,
)
from models.complaints.queries import get_visible_complaint, tracking_number, visible_complaints
from models.deadlines.entities import Deadline
from models.deadlines.reminders import urgent_to_send
from models.deadlines.sources import sync_complaint
from models.errors import Forbidden, Invalid, NotFound
from models.people import Role
from models.photos import Photo
from models.wechat.entities import Delivery
from tests.support import photo_files
from tests.support.complaints import complaint_about as filed
from tests.support.pages import csrf_token, login, visible_text

LIMITS = ComplaintLimits()


@pytest.fixture
def asset(build, county):
    return build.asset(county.villages["石桥村"], name="石桥村便民路")  # a road: 交通运输局's


@pytest.fixture
def people(build, county):
    shiqiao = county.villages["石桥村"]
    return {
        "clerk": build.user(Role.VILLAGE_CLERK, shiqiao, name="李文书"),
        "custodian": build.user(Role.CUSTODIAN, shiqiao),
        "town": build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="王镇长"),
        "other_town": build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"]),
        "water": build.user(Role.DEPARTMENT, county.district, department="水利局", name="水利局小韦"),
        "transport": build.user(Role.DEPARTMENT, county.district, department="交通运输局"),
    }


def count(session, entity) -> int:
    return session.scalar(select(func.count()).select_from(entity))


# -- 转办 -----------------------------------------------------------------------------------------


def test_a_complaint_can_be_handed_to_the_regions_handlers_and_units_only(
    session, storage, asset, clock, people, county
) -> None:
    complaint = filed(session, storage, asset, clock)
    accept(session, people["clerk"], complaint, clock.now())
    keys = {option.key: option.label for option in assignees(session, complaint)}

    for name in ("clerk", "town", "water", "transport"):
        assert f"user:{people[name].id}" in keys, name
    assert f"user:{people['custodian'].id}" not in keys  # custodians do not handle complaints
    assert f"user:{people['other_town'].id}" not in keys  # another town's official
    assert keys[f"region:{county.villages['石桥村'].id}"] == "青山镇石桥村"
    assert f"region:{county.towns['青山镇'].id}" in keys and f"region:{county.towns['河湾镇'].id}" not in keys
    assert "水利局" in keys.values()

    with pytest.raises(Invalid):
        assign(session, people["clerk"], complaint, f"user:{people['other_town'].id}", clock.now())
    with pytest.raises(Invalid):
        assign(session, people["clerk"], complaint, "user:abc", clock.now())
    assert complaint.status is ComplaintStatus.ACCEPTED and complaint.assigned_to is None


def test_a_complaint_handed_to_a_department_is_in_its_list_though_not_its_asset_type(
    session, storage, asset, clock, people, county, build
) -> None:
    complaint = filed(session, storage, asset, clock)
    water = people["water"]
    with pytest.raises(NotFound):  # a road is not the water bureau's
        get_visible_complaint(session, water, complaint.id)
    accept(session, people["town"], complaint, clock.now())
    department = next(o for o in assignees(session, complaint) if o.label == "水利局")

    assign(session, people["town"], complaint, department.key, clock.now())

    assert complaint.status is ComplaintStatus.ASSIGNED and complaint.assigned_to == "水利局"
    assert get_visible_complaint(session, water, complaint.id) is complaint
    assert session.scalars(visible_complaints(water)).all() == [complaint]
    other = build.user(Role.DEPARTMENT, county.district, department="教育局")
    assert session.scalars(visible_complaints(other)).all() == []
    answer(session, storage, water, complaint, "已派人排查，路下水管破裂已修复。", [], clock.now())
    assert complaint.status is ComplaintStatus.ANSWERED
    entries = audit.history(session, "complaint", complaint.id)
    assert [e.action for e in entries] == ["filed", "accepted", "assigned", "answered"]
    assert entries[2].changes["assigned_to"] == [None, "水利局"] and entries[2].actor_name == "王镇长"


def test_once_the_town_handles_it_nobody_at_the_village_is_offered(session, storage, asset, clock, people, county):
    complaint = filed(session, storage, asset, clock)
    reject(session, people["clerk"], complaint, "不是扶贫资产。", clock.now())
    appeal(session, complaint, "这条路就是扶贫项目修的。", clock.now(), LIMITS)
    accept(session, people["town"], complaint, clock.now())

    keys = {option.key for option in assignees(session, complaint)}

    assert f"user:{people['clerk'].id}" not in keys and f"region:{county.villages['石桥村'].id}" not in keys
    assert f"user:{people['town'].id}" in keys and f"region:{county.towns['青山镇'].id}" in keys


def test_the_person_a_complaint_is_handed_to_is_told_once_and_finds_it_in_their_list(
    app_factory, fake, session, storage, asset, clock, people
) -> None:
    app = app_factory(**fake.client_config())
    client = app.test_client()
    clerk, town = people["clerk"], people["town"]
    clerk.wechat_openid = "o_clerk"
    complaint = filed(session, storage, asset, clock)
    login(client, town)
    token = csrf_token(client, f"/complaints/{complaint.id}")
    client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token})

    handed = client.post(f"/complaints/{complaint.id}/assign", data={"csrf_token": token, "assigned_to": "bogus"})
    assert handed.status_code == 422 and "请从列表中选择转办给谁" in handed.get_data(as_text=True)
    handed = client.post(
        f"/complaints/{complaint.id}/assign", data={"csrf_token": token, "assigned_to": f"user:{clerk.id}"}
    )

    assert handed.status_code == 303
    [call] = fake.wait_for_calls("cgi-bin/message/custom/send", 1)
    text = call.body["request"]["text"]["content"]
    assert call.body["request"]["touser"] == "o_clerk"
    assert complaint.tracking_number in text and "转给您办理" in text and f"/complaints/{complaint.id}" in text
    [delivery] = session.scalars(select(Delivery)).all()
    assert delivery.key.startswith("complaint-assigned:")

    login(clerks := app.test_client(), clerk)
    mine = visible_text(clerks.get("/complaints?mine=1").get_data(as_text=True))
    assert complaint.tracking_number in mine and "转办：李文书" in mine
    public = visible_text(app.test_client().get(f"/t/{complaint.public_token}").get_data(as_text=True))
    assert "转交青山镇石桥村办理" in public and "李文书" not in public  # the villager is told the unit only


def test_a_unit_is_told_through_those_who_handle_complaints_there(
    app_factory, fake, session, storage, asset, clock, people, county
) -> None:
    app = app_factory(**fake.client_config(WECHAT_REMINDER_TEMPLATE_ID="tpl-remind"))
    people["clerk"].wechat_openid, people["custodian"].wechat_openid = "o_clerk", "o_custodian"
    complaint = filed(session, storage, asset, clock)
    login(client := app.test_client(), people["town"])
    token = csrf_token(client, f"/complaints/{complaint.id}")
    client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token})
    village = county.villages["石桥村"]

    client.post(f"/complaints/{complaint.id}/assign", data={"csrf_token": token, "assigned_to": f"region:{village.id}"})

    [call] = fake.wait_for_calls("cgi-bin/message/template/send", 1)  # the clerk; not the custodian
    sent = call.body["request"]
    assert sent["touser"] == "o_clerk" and sent["template_id"] == "tpl-remind"
    assert sent["data"]["thing1"]["value"] == "转办群众反映：石桥村便民路"
    assert sent["url"].endswith(f"/complaints/{complaint.id}")


# -- appeals ----------------------------------------------------------------------------------


def test_a_rejection_is_appealed_once_and_the_town_decides_again(session, storage, asset, clock, people) -> None:
    complaint = filed(session, storage, asset, clock)
    reject(session, people["clerk"], complaint, "不是扶贫资产。", clock.now())
    assert may_appeal(complaint)
    with pytest.raises(Invalid):
        appeal(session, complaint, "  ", clock.now(), LIMITS)
    assert complaint.status is ComplaintStatus.REJECTED

    clock.advance(days=2)
    appeal(session, complaint, "这条路就是2019年扶贫项目修的。", clock.now(), LIMITS)

    assert complaint.status is ComplaintStatus.APPEALED and complaint.town_handles
    assert complaint.accept_due_on == dt.date(2026, 6, 6) and complaint.steps[-1].kind is StepKind.APPEALED
    with pytest.raises(Forbidden, match="群众对不予受理提出了申诉，这条反映由乡镇复核"):
        accept(session, people["clerk"], complaint, clock.now())
    reject(session, people["town"], complaint, "经乡镇核实，该路段为县道。", clock.now())
    assert not may_appeal(complaint)
    with pytest.raises(WrongStep):
        appeal(session, complaint, "还是不服。", clock.now(), LIMITS)


def test_an_appeal_is_the_towns_urgent_task_until_it_decides(session, storage, asset, clock, people) -> None:
    people["town"].wechat_openid = "o_town"
    complaint = filed(session, storage, asset, clock)
    sync_complaint(session, complaint, clock.now())
    reject(session, people["clerk"], complaint, "不是扶贫资产。", clock.now())
    sync_complaint(session, complaint, clock.now())
    appeal(session, complaint, "这条路就是扶贫项目修的。", clock.now(), LIMITS)

    sync_complaint(session, complaint, clock.now())

    open_tasks = session.scalars(select(Deadline).where(Deadline.done_at.is_(None)).order_by(Deadline.id)).all()
    assert [t.title for t in open_tasks] == ["复核群众申诉：石桥村便民路", "重新答复群众反映：石桥村便民路"]
    task = open_tasks[0]
    assert {t.region_id for t in open_tasks} == {people["town"].region_id}
    pushed = urgent_to_send(session, clock.now() - dt.timedelta(hours=1))
    assert {push.user_id for push in pushed} == {people["town"].id}
    accept(session, people["town"], complaint, clock.now())
    sync_complaint(session, complaint, clock.now())
    session.refresh(task)
    assert task.done_at is not None
    [answering] = session.scalars(select(Deadline).where(Deadline.done_at.is_(None))).all()
    assert answering.title == "重新答复群众反映：石桥村便民路" and answering.region_id == people["town"].region_id


def test_a_villager_appeals_from_the_tracking_page(client, session, storage, asset, clock, people) -> None:
    complaint = filed(session, storage, asset, clock)
    page = client.get(f"/t/{complaint.public_token}").get_data(as_text=True)
    assert "对不予受理有异议" not in page
    reject(session, people["clerk"], complaint, "不是扶贫资产。", clock.now())
    token = csrf_token(client, f"/t/{complaint.public_token}")
    assert "对不予受理有异议" in client.get(f"/t/{complaint.public_token}").get_data(as_text=True)

    empty = client.post(f"/t/{complaint.public_token}/appeal", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "请填写申诉理由" in empty.get_data(as_text=True)
    done = client.post(f"/t/{complaint.public_token}/appeal", data={"csrf_token": token, "reason": "请乡镇核实。"})

    assert done.status_code == 303
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.APPEALED
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已收到您的申诉" in after and "提交申诉" not in after


# -- repeats ----------------------------------------------------------------------------------


def test_the_same_words_from_the_same_wechat_about_the_same_asset_within_a_day_are_a_repeat(
    session, storage, asset, clock, county, build
) -> None:
    first = filed(session, storage, asset, clock, openid="o_villager_1")
    clock.advance(hours=5)

    with pytest.raises(Repeated) as caught:
        filed(
            session,
            storage,
            asset,
            clock,
            openid="o_villager_1",
            description=" 路面塌了一个大坑, 晚上很危险 ",  # spaces and half-width punctuation
            photos=[photo_files.jpeg(3)],
        )

    assert caught.value.earlier is first and first.tracking_number in caught.value.message
    assert count(session, Complaint) == 1 and count(session, Photo) == 0
    filed(session, storage, asset, clock, openid="o_villager_2")  # someone else
    filed(session, storage, build.asset(county.villages["石桥村"]), clock, openid="o_villager_1")  # another asset
    filed(session, storage, asset, clock, openid="o_villager_1", description="桥头的路灯也不亮了。")  # other words
    clock.advance(hours=20)  # a day after the first
    filed(session, storage, asset, clock, openid="o_villager_1")
    assert count(session, Complaint) == 5


def test_normalised_words_ignore_width_case_spaces_and_punctuation() -> None:
    assert normalised("路灯 坏了！！ABC") == normalised("路灯坏了ａｂｃ") == "路灯坏了abc"
    assert normalised("路灯坏了") != normalised("路灯好了")


def test_a_browser_that_files_the_same_words_twice_is_told_and_shown_the_first(client, session, asset, clock) -> None:
    form = {
        "csrf_token": csrf_token(client, f"/a/{asset.public_token}/report"),
        "category": "damage",
        "description": "路面塌了一个大坑，晚上很危险。",
    }
    first = client.post(f"/a/{asset.public_token}/report", data=form)
    again = client.post(f"/a/{asset.public_token}/report", data=form)

    assert first.status_code == 303 and again.status_code == 409
    [complaint] = session.scalars(select(Complaint)).all()
    page = again.get_data(as_text=True)
    assert f"您今天已反映过相同内容，编号 {complaint.tracking_number}" in visible_text(page)
    assert f'href="/t/{complaint.public_token}"' in page


# -- the villager's rating --------------------------------------------------------------------


def test_unsatisfied_may_say_why_and_the_reason_is_on_the_step(session, storage, asset, clock, people) -> None:
    complaint = filed(session, storage, asset, clock)
    accept(session, people["clerk"], complaint, clock.now())
    answer(session, storage, people["clerk"], complaint, "已经看过了，没有问题。", [], clock.now())
    with pytest.raises(Invalid):
        rate(session, complaint, "不满意", clock.now(), LIMITS, reason="长" * 1001)
    assert complaint.status is ComplaintStatus.ANSWERED

    rate(session, complaint, "不满意", clock.now(), LIMITS, reason="坑还在，没人来修。")

    rated = next(step for step in complaint.steps if step.kind is StepKind.RATED)
    assert rated.note == "不满意：坑还在，没人来修。" and complaint.status is ComplaintStatus.REOPENED


def test_a_rating_is_asked_to_confirm_before_it_counts(client, session, storage, asset, clock, people) -> None:
    complaint = filed(session, storage, asset, clock)
    accept(session, people["clerk"], complaint, clock.now())
    answer(session, storage, people["clerk"], complaint, "已修补路面。", [], clock.now())
    path = f"/t/{complaint.public_token}"
    token = csrf_token(client, path)

    asked = client.post(f"{path}/rate", data={"csrf_token": token, "rating": "unsatisfied", "reason": "没修好"})
    nothing = client.post(f"{path}/rate", data={"csrf_token": token, "rating": "很好"})

    assert asked.status_code == 200 and "您选择了：不满意" in asked.get_data(as_text=True)
    assert "原因：没修好" in asked.get_data(as_text=True) and 'name="confirmed" value="1"' in asked.get_data(
        as_text=True
    )
    assert nothing.status_code == 422 and "请选择满意、基本满意或不满意" in nothing.get_data(as_text=True)
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.ANSWERED and complaint.rating is None

    done = client.post(
        f"{path}/rate", data={"csrf_token": token, "rating": "unsatisfied", "reason": "没修好", "confirmed": "1"}
    )

    assert done.status_code == 303
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.REOPENED and complaint.steps[-2].note == "不满意：没修好"


def test_the_answers_photos_sit_under_its_text(client, session, storage, asset, clock, people) -> None:
    complaint = filed(session, storage, asset, clock)
    accept(session, people["clerk"], complaint, clock.now())
    answer(session, storage, people["clerk"], complaint, "已修补路面。", [photo_files.jpeg(4)], clock.now())

    page = client.get(f"/t/{complaint.public_token}").get_data(as_text=True)

    note = page.index('<p class="note">已修补路面。</p>')
    photos = page.index('<div class="pics"><a href="/p/')
    assert note < photos and "<img" not in page[note : page.index("</p>", note)]


# -- staff confirmations ----------------------------------------------------------------------


def test_rejecting_needs_the_box_ticked_and_nothing_changes_without_it(
    client, login_as, session, storage, asset, clock, people
) -> None:
    complaint = filed(session, storage, asset, clock)
    login_as(people["clerk"])
    token = csrf_token(client, f"/complaints/{complaint.id}")
    form = {"csrf_token": token, "reason": "反映的资产不在本村。"}

    unticked = client.post(f"/complaints/{complaint.id}/reject", data=form)

    assert unticked.status_code == 422 and "请勾选“确认不予受理”" in unticked.get_data(as_text=True)
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.NEW and len(complaint.steps) == 1
    ticked = client.post(f"/complaints/{complaint.id}/reject", data=form | {"confirm": "1"})
    assert ticked.status_code == 303
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.REJECTED


# -- numbers as people type them --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("13", "TS-2026-000013"),
        ("000013", "TS-2026-000013"),
        ("TS-2026-000013", "TS-2026-000013"),
        ("ts-2025-13", "TS-2025-000013"),
        ("ＴＳ－２０２６－１３", "TS-2026-000013"),
        (" 2026-13 ", "TS-2026-000013"),
        ("0", None),
        ("十三", None),
        ("TS-2026-1234567", None),
        ("", None),
    ],
)
def test_a_tracking_number_is_read_in_full_or_short(typed, number) -> None:
    assert tracking_number(typed, 2026) == number


def test_my_complaints_finds_one_by_its_short_number_and_phone(client, session, storage, asset, clock) -> None:
    complaint = filed(session, storage, asset, clock, contact_phone="13912345678")
    assert complaint.tracking_number == "TS-2026-000001"
    token = csrf_token(client, "/mine")

    for typed in ("1", "TS-2026-000001", "ts-2026-1"):
        found = client.post("/mine", data={"csrf_token": token, "number": typed, "last4": "5678"})
        assert found.status_code == 303 and found.headers["Location"].endswith(f"/t/{complaint.public_token}"), typed
    wrong = client.post("/mine", data={"csrf_token": token, "number": "1", "last4": "0000"})
    assert wrong.status_code == 404


def test_the_anonymous_form_refuses_a_huge_png_at_once_in_chinese_and_keeps_nothing(client, session, asset) -> None:
    huge = photo_files.encoded(Image.new("1", (7000, 7000)), "PNG")  # 49 megapixels, a few kilobytes
    response = client.post(
        f"/a/{asset.public_token}/report",
        data={
            "csrf_token": csrf_token(client, f"/a/{asset.public_token}/report"),
            "category": "damage",
            "description": "路面塌了一个大坑，晚上很危险。",
            "photos": (BytesIO(huge), "a.png"),
        },
    )
    assert response.status_code == 415
    assert "照片像素太大" in visible_text(response.get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0
    assert session.scalar(select(func.count()).select_from(Photo)) == 0
