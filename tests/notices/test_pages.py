"""The staff's notice pages: the list by region, publishing (and what is refused), a notice with its
objections, the A4 poster whose QR code opens the notice, withdrawing; another region's id is 404."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from models.complaints.entities import ComplaintStatus
from models.complaints.operations import accept
from models.deadlines.sources import sync_deadlines
from models.notices.entities import NoticeBoard, NoticeOutcome, PublicNotice
from models.notices.operations import decide_ended_notices
from models.notices.poster import PosterFacts, footer_lines, poster_pdf
from models.printing import missing_glyphs
from tests.notices.conftest import JUNE_1
from tests.support.pages import csrf_token, login, visible_text

JPEG = re.compile(rb"\xff\xd8.*?\xff\xd9", re.DOTALL)  # PIL writes each PDF page as one JPEG


def pdf_pages(pdf: bytes) -> list[Image.Image]:
    """The pages of a PDF drawn as images (as ours are), read back from the PDF's bytes."""
    return [Image.open(io.BytesIO(data)) for data in JPEG.findall(pdf)]


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_list_shows_each_person_the_notices_of_their_own_region(app, make_notice, people, county, build):
    road = build.asset(county.villages["石桥村"], subtype="道路交通", name="石桥村硬化路")
    make_notice(title="石桥村自评结果公示")
    make_notice(title="石桥村道路养护公示", subject_kind="disposal", subject_id=1, asset=road)
    make_notice(title="竹林村自评结果公示", subject_id=8, village=county.villages["竹林村"])
    make_notice(title="清水村自评结果公示", subject_id=9, village=county.villages["清水村"])
    expected = {
        "clerk": {"石桥村自评结果公示", "石桥村道路养护公示"},
        "supervisor": {"石桥村自评结果公示", "石桥村道路养护公示"},
        "town": {"石桥村自评结果公示", "石桥村道路养护公示", "竹林村自评结果公示"},
        "other_town": {"清水村自评结果公示"},
        "admin": {"石桥村自评结果公示", "石桥村道路养护公示", "竹林村自评结果公示", "清水村自评结果公示"},
        "roads": {"石桥村道路养护公示"},  # the department: notices about assets of its trades
    }
    titles = ("石桥村自评结果公示", "石桥村道路养护公示", "竹林村自评结果公示", "清水村自评结果公示")
    for name, shown in expected.items():
        client = app.test_client()
        login(client, people[name])
        text = visible_text(client.get("/notices").get_data(as_text=True))
        assert {title for title in titles if title in text} == shown, name


def test_a_clerk_publishes_a_manual_notice_and_downloads_its_poster_whose_code_opens_it(
    client, login_as, people, session, county, app
):
    login_as(people["clerk"])
    form = client.get("/notices/new").get_data(as_text=True)
    assert 'value="2026-06-01"' in form and 'value="2026-06-10"' in form  # today, and the 10-day default
    response = client.post(
        "/notices/new",
        data={
            "csrf_token": csrf_token(client, "/notices/new"),
            "village_id": county.villages["石桥村"].id,
            "title": "2026年村集体经济收益分配方案公示",
            "body": "一、收益总额5.2万元。\n二、按户分配给86户脱贫户。",
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-10",
        },
    )
    assert response.status_code == 303
    notice = session.scalar(select(PublicNotice))
    assert response.headers["Location"] == f"/notices/{notice.id}"
    assert notice.subject_kind == "manual" and notice.days == 10 and notice.opened_by_id == people["clerk"].id
    page = visible_text(client.get(f"/notices/{notice.id}").get_data(as_text=True))
    assert "按户分配给86户脱贫户" in page and "公示中" in page and "下载公示海报" in page

    poster = client.get(f"/notices/{notice.id}/poster.pdf")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    [page_image] = pdf_pages(poster.get_data())
    assert page_image.size == (1654, 2339)  # A4 at 200 dpi
    [link] = decoded(page_image)
    token = session.scalar(select(NoticeBoard.token))
    assert link == f"http://guanhu.test/v/{token}/n/{notice.id}"
    villager = app.test_client()
    opened = villager.get(link.removeprefix("http://guanhu.test"))
    assert opened.status_code == 200 and "按户分配给86户脱贫户" in opened.get_data(as_text=True)


def test_a_long_notice_prints_on_several_pages_each_with_the_code_and_every_glyph(make_notice, session, county):
    body = "\n".join(f"{n}. 第{n}项资产的管护情况：巡查12次，维修2次，群众满意率95%。" for n in range(1, 120))
    notice = make_notice(body=body)
    facts = PosterFacts(online_url="http://guanhu.test/v/x/n/1", supervision_phone="0771-1234567", hotline="12317")
    pages = pdf_pages(poster_pdf(notice, facts))
    assert len(pages) >= 3
    assert all(decoded(page) == ["http://guanhu.test/v/x/n/1"] for page in pages)
    printed = (
        notice.title + notice.body + "".join(footer_lines(notice, facts)) + "公示（续）第页共扫码查看原文、提出异议"
    )
    assert missing_glyphs(printed) == set()


def test_a_manual_notice_that_ends_before_it_starts_is_refused_on_the_form_and_nothing_is_kept(
    client, login_as, people, session, county
):
    login_as(people["town"])
    data = {
        "csrf_token": csrf_token(client, "/notices/new"),
        "village_id": county.villages["石桥村"].id,
        "title": "收益分配方案公示",
        "body": "方案全文。",
        "starts_on": "2026-06-10",
        "ends_on": "2026-06-01",
        "asset_code": "NO-SUCH",
    }
    response = client.post("/notices/new", data=data)
    assert response.status_code == 422
    assert "找不到编号为“NO-SUCH”的资产" in response.get_data(as_text=True)
    data["asset_code"] = ""
    response = client.post("/notices/new", data=data)
    assert response.status_code == 422 and "公示结束日期不能早于开始日期" in response.get_data(as_text=True)
    data["starts_on"] = "六月十日"
    response = client.post("/notices/new", data=data)
    assert response.status_code == 422 and "请填写公示开始日期" in response.get_data(as_text=True)
    assert count(session, PublicNotice) == 0 and count(session, NoticeBoard) == 0


def test_another_regions_notice_is_not_found_on_every_staff_route(
    client, login_as, make_notice, people, session, county
):
    notice = make_notice(people["clerk"], subject_kind="manual", subject_id=None)
    login_as(people["other_town"])
    assert client.get(f"/notices/{notice.id}").status_code == 404
    assert client.get(f"/notices/{notice.id}/poster.pdf").status_code == 404
    token = csrf_token(client, "/notices")
    withdrawn = client.post(f"/notices/{notice.id}/withdraw", data={"csrf_token": token, "reason": "撤回"})
    assert withdrawn.status_code == 404
    published = client.post(
        "/notices/new",
        data={
            "csrf_token": token,
            "village_id": county.villages["石桥村"].id,
            "title": "越权公示",
            "body": "内容",
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-10",
        },
    )
    assert published.status_code == 404
    assert client.post("/notices/new", data={"csrf_token": token, "village_id": "999999"}).status_code == 404
    assert notice.outcome is NoticeOutcome.RUNNING and count(session, PublicNotice) == 1


def test_who_may_publish_withdraw_and_set_the_default(client, login_as, make_notice, people, session):
    login_as(people["supervisor"])
    assert client.get("/notices/new").status_code == 403
    evaluation = make_notice()
    page = client.get(f"/notices/{evaluation.id}").get_data(as_text=True)
    assert "撤回公示" not in visible_text(page)
    refused = client.post(
        f"/notices/{evaluation.id}/withdraw", data={"csrf_token": csrf_token(client, "/notices"), "reason": "撤回"}
    )
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/notices")})

    login_as(people["town"])
    automatic = client.post(
        f"/notices/{evaluation.id}/withdraw", data={"csrf_token": csrf_token(client, "/notices"), "reason": "撤回"}
    )
    assert automatic.status_code == 403 and "自动发布" in automatic.get_data(as_text=True)
    assert evaluation.outcome is NoticeOutcome.RUNNING
    days = client.post("/notices/defaults", data={"csrf_token": csrf_token(client, "/notices"), "days": "7"})
    assert days.status_code == 403


def test_withdrawing_from_the_web_takes_the_notice_down_and_closes_its_objections(
    client, login_as, make_notice, object_to, people, session, app
):
    notice = make_notice(people["clerk"], subject_kind="manual", subject_id=None)
    objection = object_to(notice)
    login_as(people["clerk"])
    path = f"/notices/{notice.id}"
    assert client.post(f"{path}/withdraw", data={"csrf_token": csrf_token(client, path)}).status_code == 422
    response = client.post(f"{path}/withdraw", data={"csrf_token": csrf_token(client, path), "reason": "金额有误"})
    assert response.status_code == 303
    session.refresh(notice)
    session.refresh(objection)
    assert notice.outcome is NoticeOutcome.WITHDRAWN and objection.status is ComplaintStatus.CLOSED
    token = session.scalar(select(NoticeBoard.token))
    gone = app.test_client().get(f"/v/{token}/n/{notice.id}")
    assert gone.status_code == 410 and "金额有误" in gone.get_data(as_text=True)
    assert notice.title not in app.test_client().get(f"/v/{token}").get_data(as_text=True)


def test_the_district_admin_sets_the_default_period_from_the_list(client, login_as, people, session):
    login_as(people["admin"])
    token = csrf_token(client, "/notices")
    bad = client.post("/notices/defaults", data={"csrf_token": token, "days": "0"})
    assert bad.status_code == 422 and "默认公示天数应为1到90之间的整数" in bad.get_data(as_text=True)
    assert client.post("/notices/defaults", data={"csrf_token": token, "days": "15"}).status_code == 303
    assert 'value="2026-06-15"' in client.get("/notices/new").get_data(as_text=True)


def test_the_town_handles_an_objection_from_the_complaint_pages_and_says_if_it_is_upheld(
    client, login_as, make_notice, object_to, people, session
):
    notice = make_notice()
    objection = object_to(notice)
    path = f"/complaints/{objection.id}"

    login_as(people["other_town"])
    assert client.get(path).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/notices")})

    login_as(people["clerk"])  # the village sees it, the town handles it
    assert notice.title in client.get(path).get_data(as_text=True)
    refused = client.post(f"{path}/accept", data={"csrf_token": csrf_token(client, path)})
    assert refused.status_code == 403 and "公示异议由乡镇办理" in refused.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/notices")})

    login_as(people["town"])
    listed = visible_text(client.get("/complaints").get_data(as_text=True))
    assert f"公示：{notice.title}" in listed and "公示异议" in listed
    accept(session, people["town"], objection, notice.created_at)
    unsaid = client.post(f"{path}/answer", data={"csrf_token": csrf_token(client, path), "answer": "已核实情况属实。"})
    assert unsaid.status_code == 422 and "请选择异议是否成立" in unsaid.get_data(as_text=True)
    answered = client.post(
        f"{path}/answer", data={"csrf_token": csrf_token(client, path), "answer": "已核实情况属实。", "upheld": "yes"}
    )
    session.refresh(objection)
    assert answered.status_code == 303 and objection.upheld is True
    page = visible_text(client.get(path).get_data(as_text=True))
    assert "异议是否成立 异议成立" in page
    client.post(f"{path}/close", data={"csrf_token": csrf_token(client, path)})
    session.refresh(objection)
    session.refresh(notice)
    assert objection.status is ComplaintStatus.CLOSED
    assert notice.outcome is NoticeOutcome.RUNNING  # the period (June 1-10) is not over yet


def test_an_objection_resolved_after_the_end_decides_the_notice_at_once(
    client, login_as, make_notice, object_to, people, session, clock
):
    notice = make_notice()
    objection = object_to(notice)
    clock.advance(days=12)
    decide_ended_notices(session, JUNE_1.replace(day=13), clock.now())
    assert notice.outcome is NoticeOutcome.AWAITING_OBJECTIONS
    login_as(people["town"])
    path = f"/complaints/{objection.id}"
    client.post(
        f"{path}/reject", data={"csrf_token": csrf_token(client, path), "reason": "与公示内容无关。", "confirm": "1"}
    )
    session.refresh(objection)
    session.refresh(notice)
    assert objection.status is ComplaintStatus.REJECTED
    assert notice.outcome is NoticeOutcome.PASSED and notice.decided_at == clock.now()


def test_my_tasks_link_the_notices_end_and_the_objection_to_their_pages(
    app, make_notice, object_to, people, session, clock
):
    notice = make_notice(people["clerk"])
    objection = object_to(notice)
    sync_deadlines(session, clock.now(), "Asia/Shanghai")
    for name, link, title in (
        ("clerk", f"/notices/{notice.id}", f"公示期满：{notice.title}"),
        ("town", f"/complaints/{objection.id}", f"受理公示异议：{notice.title}"),
    ):
        client = app.test_client()
        login(client, people[name])
        assert f'<a href="{link}">{title}</a>' in client.get("/tasks").get_data(as_text=True), name
