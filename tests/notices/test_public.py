"""The villagers' notice pages, no login: a village's board, a notice's page (what it shows and never
shows, its size), the asset page's links to them, objecting (and every limit on it)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.complaints.entities import Complaint, ComplaintCategory
from models.notices.entities import MAX_BODY, NoticeBoard
from models.notices.operations import decide_ended_notices, withdraw_notice
from tests.support.pages import csrf_token, login, visible_text


def board_token(session) -> str:
    return session.scalar(select(NoticeBoard.token))


def objections(session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint).where(Complaint.notice_id.is_not(None)))


@pytest.fixture
def notice(make_notice, people):
    return make_notice(people["clerk"], body="一、明确村级管护主体：自评10分。\n二、日常管护：自评9分。")


def test_the_board_lists_what_runs_and_what_ended_lately_with_its_outcome(
    client, session, make_notice, people, county, clock
):
    running = make_notice(title="收益分配方案公示")
    make_notice(title="下周开始的公示", subject_id=8, starts_on=dt.date(2026, 6, 8))
    ended = make_notice(title="五月的处置公示", subject_id=9, starts_on=dt.date(2026, 5, 1))
    old = make_notice(title="去年的公示", subject_id=10, starts_on=dt.date(2025, 5, 1))
    withdrawn = make_notice(title="撤回的公示", subject_id=11)
    make_notice(title="竹林村的公示", subject_id=12, village=county.villages["竹林村"])
    withdraw_notice(session, people["town"], withdrawn, reason="重复发布", now=clock.now())
    decide_ended_notices(session, dt.date(2026, 6, 1), clock.now())

    page = client.get(f"/v/{board_token(session)}")
    text = visible_text(page.get_data(as_text=True))
    assert page.status_code == 200 and "村务公开栏" in text and "青山镇石桥村" in text
    assert "收益分配方案公示" in text and "还剩10天（含今天）" in text
    assert "下周开始的公示" in text and "6月8日开始" in text
    assert "五月的处置公示" in text and "公示无异议" in text
    for hidden in ("去年的公示", "撤回的公示", "竹林村的公示"):
        assert hidden not in text, hidden
    assert f"/n/{running.id}" in page.get_data(as_text=True) and f"/n/{ended.id}" in page.get_data(as_text=True)
    assert f"/n/{old.id}" not in page.get_data(as_text=True)


def test_the_notice_page_shows_the_frozen_text_and_never_who_is_behind_it(client, session, notice, object_to, people):
    object_to(notice, reason="第二项分数偏高，水渠半年没人清理。", contact_name="韦大伯", contact_phone="13912345678")
    response = client.get(f"/v/{board_token(session)}/n/{notice.id}")
    page = response.get_data(as_text=True)
    text = visible_text(page)
    assert response.status_code == 200
    for shown in (
        notice.title,
        "一、明确村级管护主体：自评10分。\n二、日常管护：自评9分。",
        "2026-06-01 至 2026-06-10（共10天）",
    ):
        assert shown in text, shown
    assert "已收到 1 件" in text and "我要提出异议" in text and 'href="tel:12317"' in page
    for hidden in (people["clerk"].name, "韦大伯", "13912345678", "水渠半年没人清理", f"/notices/{notice.id}"):
        assert hidden not in page, hidden
    assert "<script" not in page


def test_a_notice_page_with_the_longest_text_and_its_css_stay_under_30_kb(client, session, make_notice):
    notice = make_notice(body="公示内容，" * (MAX_BODY // 5))
    html = client.get(f"/v/{board_token(session)}/n/{notice.id}").get_data()
    with client.get("/static/public.css") as served:
        css = served.get_data()
    assert len(notice.body) == MAX_BODY
    assert len(html) + len(css) < 30 * 1024
    assert b"http://" not in css and b"https://" not in html.replace(b'href="tel:', b"")


def test_unknown_boards_and_notices_of_another_village_are_not_found(client, session, make_notice, county):
    here = make_notice()
    there = make_notice(subject_id=8, village=county.villages["竹林村"])
    token = session.scalar(select(NoticeBoard.token).where(NoticeBoard.village_id == here.village_id))
    assert client.get(f"/v/{token}/n/{here.id}").status_code == 200
    for path in (f"/v/{token}/n/{there.id}", f"/v/{token}/n/999999", "/v/AAAAAAAAAAAAAAAAAAAAAA", "/v/" + "x" * 200):
        response = client.get(path)
        assert response.status_code == 404 and "没有找到这个公示" in response.get_data(as_text=True), path
    assert client.get(f"/v/{token}/n/{there.id}/object").status_code == 404


def test_the_asset_page_links_the_notices_that_concern_it_to_their_pages(client, session, make_notice, build, county):
    asset = build.asset(county.villages["石桥村"], name="石桥村水渠")
    other = build.asset(county.villages["石桥村"], name="石桥村篮球场")
    village_wide = make_notice(title="全村收益分配公示")
    own = make_notice(title="水渠处置公示", subject_kind="disposal", subject_id=1, asset=asset)
    make_notice(title="篮球场处置公示", subject_kind="disposal", subject_id=2, asset=other)
    page = client.get(f"/a/{asset.public_token}").get_data(as_text=True)
    token = board_token(session)
    assert f'href="/v/{token}/n/{village_wide.id}"' in page and f'href="/v/{token}/n/{own.id}"' in page
    assert "篮球场处置公示" not in page and f'href="/v/{token}"' in page


def test_a_villager_objects_anonymously_and_tracks_it_like_a_complaint(client, session, notice):
    path = f"/v/{board_token(session)}/n/{notice.id}/object"
    form = client.get(path)
    assert form.status_code == 200 and "异议理由" in form.get_data(as_text=True)
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "reason": "分配名单漏了我家，我家是脱贫户。"}
    )
    assert response.status_code == 303
    objection = session.scalar(select(Complaint))
    assert response.headers["Location"] == f"/t/{objection.public_token}?new=1"
    assert objection.category is ComplaintCategory.OBJECTION and objection.notice_id == notice.id
    assert objection.contact_name is objection.contact_phone is objection.openid is None
    tracking = visible_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "待受理" in tracking and f"公示：{notice.title}" in tracking and "公示异议" in tracking
    assert objection.tracking_number in visible_text(client.get("/mine").get_data(as_text=True))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": ""}, "请填写异议理由"),
        ({"reason": "不对"}, "异议理由至少写5个字"),
        ({"reason": "长" * 1001}, "异议理由不能超过1000个字"),
        ({"contact_phone": "12345"}, "手机号应为11位数字"),
    ],
)
def test_a_bad_objection_is_refused_with_a_chinese_reason_and_nothing_is_kept(client, session, notice, fields, message):
    path = f"/v/{board_token(session)}/n/{notice.id}/object"
    data = {"csrf_token": csrf_token(client, path), "reason": "分配名单漏了我家。", **fields}
    response = client.post(path, data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert objections(session) == 0


def test_no_objection_before_the_notice_starts_or_after_it_ends(client, session, make_notice):
    later = make_notice(starts_on=dt.date(2026, 6, 8))
    ended = make_notice(subject_id=8, starts_on=dt.date(2026, 5, 1))
    token = board_token(session)
    for notice in (later, ended):
        path = f"/v/{token}/n/{notice.id}/object"
        assert "不能在线提出异议" in client.get(path).get_data(as_text=True)
        response = client.post(path, data={"csrf_token": csrf_token(client, "/mine"), "reason": "分配名单漏了我家。"})
        assert response.status_code == 409 and "不在公示期内" in response.get_data(as_text=True)
    assert "公示开始后可以在这里提出异议" in client.get(f"/v/{token}/n/{later.id}").get_data(as_text=True)
    assert objections(session) == 0


def test_an_objection_without_a_csrf_token_is_refused(client, session, notice):
    response = client.post(f"/v/{board_token(session)}/n/{notice.id}/object", data={"reason": "分配名单漏了我家。"})
    assert response.status_code == 400 and objections(session) == 0


def test_an_objection_flood_is_stopped_per_visitor_and_per_notice(app_factory, session, make_notice, people):
    app = app_factory(
        RATELIMIT_ENABLED=True, COMPLAINT_RATE_LIMIT="2 per hour", OBJECTION_NOTICE_RATE_LIMIT="3 per day"
    )
    notice = make_notice(people["clerk"])
    path = f"/v/{board_token(session)}/n/{notice.id}/object"
    visitor = app.test_client()
    token = csrf_token(visitor, path)
    codes = [
        visitor.post(
            path,
            data={"csrf_token": token, "reason": f"分配名单漏了我家，我家是脱贫户（第{number}次说）。"},
            environ_base={"REMOTE_ADDR": address},
        ).status_code
        for number, address in enumerate(("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3"), 1)
    ]
    # per visitor: the third from 10.0.0.1 is refused; per notice: only three a day, whoever files
    assert codes[:3] == [303, 303, 429] and codes[3:] == [303, 429]
    assert objections(session) == 3


def test_anonymous_villagers_share_a_short_lived_board_while_staff_see_it_fresh(
    app_factory, session, make_notice, people
):
    app = app_factory(PUBLIC_PAGE_CACHE_SECONDS=30)
    notice = make_notice(title="旧标题公示")
    path = f"/v/{board_token(session)}"
    villager = app.test_client()
    assert "旧标题公示" in villager.get(path).get_data(as_text=True)
    notice.title = "新标题公示"
    session.flush()
    assert "旧标题公示" in villager.get(path).get_data(as_text=True)  # within 30 s
    staff = app.test_client()
    login(staff, people["clerk"])
    assert "新标题公示" in staff.get(path).get_data(as_text=True)
