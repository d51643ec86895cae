"""The deadline pages: my tasks with done marking, the calendar editor, pushes, jobs; in scope."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from bot.handlers.deadlines import task_lines
from models import audit
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import CALENDAR_ENTITY, CalendarEntry, Deadline
from models.deadlines.tasks import waiting_for
from models.people import Role
from models.scheduling.operations import record_run
from models.wechat.deliveries import claim_delivery, mark_failed
from models.wechat.entities import DeliveryChannel
from tests.support.pages import csrf_token, visible_text

JUNE_28 = dt.datetime(2026, 6, 28, 1, 0, tzinfo=dt.UTC)


def _task(session, kind: str, region) -> Deadline:
    return session.scalar(select(Deadline).where(Deadline.kind_code == kind, Deadline.region_id == region.id))


def test_my_tasks_lists_what_is_due_most_urgent_first(client, login_as, session, county, build, clock) -> None:
    clock.at = JUNE_28
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    ensure_deadlines(session, county.district, 2026, clock.now())
    login_as(clerk)

    page = client.get("/tasks").get_data(as_text=True)

    assert "我的任务" in page and "2026年年中自查（两委签字）报镇" in page and "还剩2天" in page
    assert page.index("年中自查") < page.index("核查问题整改") < page.index("年终自评")
    assert "竹林村" not in page


def test_my_tasks_on_the_web_and_in_the_chat_are_one_list_whose_assets_link_to_the_register(
    client, login_as, session, county, build, clock
) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    build.asset(county.villages["石桥村"], code="D-1", name="石桥村损毁水渠", status="损毁")
    build.asset(county.villages["石桥村"], code="C-1", name="石桥村无卡道路", card_on_wall="否")
    build.asset(county.villages["石桥村"], code="C-2", name="石桥村已处置仓库", card_on_wall="否", status="已处置")
    build.asset(county.villages["竹林村"], code="Z-1", name="竹林村损毁水渠", status="损毁")
    login_as(clerk)

    page = client.get("/tasks").get_data(as_text=True)
    damaged = re.search(r'href="([^"]+)">资产损毁待修 1处</a>', page)
    no_card = re.search(r'href="([^"]+)">资产卡未上墙 1处</a>', page)
    assert damaged and no_card, page
    assert "石桥村损毁水渠" in page and "竹林村" not in page
    damaged_list = visible_text(client.get(html.unescape(damaged.group(1))).get_data(as_text=True))
    assert "D-1" in damaged_list and "C-1" not in damaged_list and "Z-1" not in damaged_list
    no_card_list = visible_text(client.get(html.unescape(no_card.group(1))).get_data(as_text=True))
    assert "C-1" in no_card_list and "C-2" not in no_card_list and "D-1" not in no_card_list

    chat = task_lines(waiting_for(session, clerk, clock.now().date()))
    assert "资产损毁待修1处：石桥村损毁水渠" in chat and "资产卡未上墙1处：石桥村无卡道路" in chat


def test_marking_a_task_done_needs_evidence(client, login_as, session, county, build, clock) -> None:
    clock.at = JUNE_28
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    ensure_deadlines(session, county.district, 2026, clock.now())
    task = _task(session, "village_rectification", county.villages["石桥村"])
    login_as(clerk)
    token = csrf_token(client, "/tasks")

    refused = client.post(f"/tasks/{task.id}/done", data={"csrf_token": token, "note": ""})
    assert refused.status_code == 422
    assert "请填写完成情况说明，或附上文件、记录。" in refused.get_data(as_text=True)
    session.expire_all()
    assert _task(session, "village_rectification", county.villages["石桥村"]).done_at is None

    done = client.post(f"/tasks/{task.id}/done", data={"csrf_token": token, "note": "已签字报镇"})
    assert done.status_code == 302
    session.expire_all()
    task = _task(session, "village_rectification", county.villages["石桥村"])
    assert task.done_by_id == clerk.id and task.evidence == {"note": "已签字报镇"}


def test_another_villages_task_cannot_be_marked_done(client, login_as, session, county, build, clock) -> None:
    clock.at = JUNE_28
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    ensure_deadlines(session, county.district, 2026, clock.now())
    other = _task(session, "midyear_self_check", county.villages["竹林村"])
    login_as(clerk)

    response = client.post(f"/tasks/{other.id}/done", data={"csrf_token": csrf_token(client, "/tasks"), "note": "x"})

    assert response.status_code == 404


def test_the_district_office_moves_a_calendar_date(client, login_as, session, county, build, clock) -> None:
    clock.at = JUNE_28
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    login_as(admin)
    page = client.get("/deadlines/calendar?year=2026").get_data(as_text=True)
    assert "示范区 2026年任务日历" in page and "年终自评" in page
    entry = session.scalar(select(CalendarEntry).where(CalendarEntry.kind_code == "village_self_evaluation"))
    token = csrf_token(client, "/deadlines/calendar?year=2026")

    bad = client.post(f"/deadlines/calendar/{entry.id}", data={"csrf_token": token, "due_on": "12/15"})
    assert bad.status_code == 422 and "日期格式应为 2026-12-10。" in bad.get_data(as_text=True)
    moved = client.post(f"/deadlines/calendar/{entry.id}", data={"csrf_token": token, "due_on": "2026-12-15"})

    assert moved.status_code == 302
    session.expire_all()
    assert session.get(CalendarEntry, entry.id).due_on == dt.date(2026, 12, 15)
    assert [e.action for e in audit.history(session, CALENDAR_ENTITY, entry.id)] == ["move"]


def test_a_town_official_reads_the_calendar_but_cannot_move_it(client, login_as, session, county, build, clock) -> None:
    clock.at = JUNE_28
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    login_as(town)
    page = client.get("/deadlines/calendar").get_data(as_text=True)
    assert "年终自评" in page and 'type="date"' not in page
    entry = session.scalar(select(CalendarEntry).where(CalendarEntry.kind_code == "town_review"))

    response = client.post(
        f"/deadlines/calendar/{entry.id}", data={"csrf_token": csrf_token(client, "/tasks"), "due_on": "2026-12-25"}
    )

    assert response.status_code == 403
    assert "只有本区乡村振兴局可以调整任务日历。" in response.get_data(as_text=True)
    assert client.get("/deadlines/jobs").status_code == 403


def test_pushes_page_shows_what_went_to_whom_and_who_is_unreachable(
    client, login_as, session, county, build, clock
) -> None:
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="李镇长")
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="王村官")
    clerk.wechat_openid = "o_wang"
    far = build.user(Role.VILLAGE_CLERK, county.villages["清水村"], name="赵远方")
    far.wechat_openid = "o_far"
    for openid, key in (("o_wang", "digest:a"), ("o_far", "digest:b")):
        delivery, _ = claim_delivery(
            session,
            key=key,
            openid=openid,
            channel=DeliveryChannel.TEMPLATE,
            payload={"data": {"thing1": "年中自查"}},
            now=clock.now(),
        )
    mark_failed(delivery, 43004, "对方未关注公众号（43004: x）")
    login_as(town)

    page = client.get("/deadlines/pushes").get_data(as_text=True)

    assert "王村官" in page and "年中自查" in page and "待发送" in page
    assert "赵远方" not in page
    assert "李镇长" in page and "未绑定微信" in page  # the town official has no WeChat bound


def test_job_state_is_shown_to_the_district_office(client, login_as, session, county, build, clock) -> None:
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    record_run(
        session,
        "digests",
        holder="host-a:1",
        started=clock.now(),
        finished=clock.now(),
        next_run=None,
        error="未配置提醒模板（GUANHU_WECHAT_REMINDER_TEMPLATE_ID）",
    )
    login_as(admin)

    page = client.get("/deadlines/jobs").get_data(as_text=True)

    assert "每日提醒推送" in page and "未配置提醒模板" in page
    assert "定时任务没有在运行" in page


def test_the_overview_shows_what_is_due_in_my_area_and_for_whom(
    client, login_as, session, county, build, clock
) -> None:
    clock.at = JUNE_28
    town = build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"])
    ensure_deadlines(session, county.district, 2026, clock.now())
    login_as(town)

    page = client.get("/deadlines").get_data(as_text=True)

    assert "河湾镇清水村" in page and "村干部、村级监督" in page and "剩2天" in page
    assert "青山镇" not in page
