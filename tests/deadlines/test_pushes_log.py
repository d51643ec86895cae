"""The pushes log: every push about the regions one oversees, villagers' too (never named), with
its status, filtered and paged, in local time; who refused reminders, on the log and on the
overview of what is due; the jobs page in local time."""

from __future__ import annotations

import datetime as dt

import pytest

from models.deadlines.calendar import ensure_deadlines
from models.people import Role
from models.scheduling.jobs import SCHEDULER_LEASE
from models.scheduling.operations import hold_lease, record_run
from models.wechat.consents import record_consent
from models.wechat.deliveries import claim_delivery, mark_sent, mark_unreachable
from models.wechat.entities import ConsentSource, DeliveryChannel
from tests.support.pages import login, visible_text

LATE_EVENING_UTC = dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC)  # 07:30 on June 2 in Beijing
VILLAGER = "oVillager00000000000000A001"
REMINDER_TEMPLATE = "tpl-reminder"


def push(session, key: str, openid: str, now: dt.datetime, region=None, text: str = "您好"):
    delivery, _ = claim_delivery(
        session,
        key=key,
        openid=openid,
        channel=DeliveryChannel.CUSTOM,
        payload={"text": text},
        now=now,
        region_id=region.id if region else None,
    )
    return delivery


@pytest.fixture
def pushes(session, county, build, clock):
    """A town official of 青山镇, a clerk of 石桥村, and pushes in and out of 青山镇."""
    clock.at = LATE_EVENING_UTC
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="李镇长")
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="王村官")
    clerk.wechat_openid = "o_wang"
    far = build.user(Role.VILLAGE_CLERK, county.villages["清水村"], name="赵远方")
    far.wechat_openid = "o_far"
    session.flush()
    mark_sent(push(session, "digest:1:2026-06-02", "o_wang", clock.now(), text="年中自查（还剩28天）"), clock.now())
    answered = push(session, "complaint-answered:7", VILLAGER, clock.now(), county.villages["石桥村"], "已有答复")
    mark_unreachable(answered, 43101, "对方拒收此类通知（43101）")
    push(session, "digest:2:2026-06-02", "o_far", clock.now(), text="清水村的任务")
    push(session, "complaint-answered:8", "oVillagerElsewhere000000001", clock.now(), county.villages["清水村"])
    push(session, "complaint-answered:9", "oVillagerNowhere00000000001", clock.now())  # no region: nobody's
    session.flush()
    return town


def test_the_log_lists_villagers_pushes_unnamed_beside_staffs_in_local_time(client, pushes) -> None:
    login(client, pushes)

    page = visible_text(client.get("/deadlines/pushes").get_data(as_text=True))

    assert "王村官" in page and "年中自查（还剩28天）" in page and "每日提醒" in page and "已发送" in page
    assert "群众" in page and "oVil…A001" in page and VILLAGER not in page  # never the whole openid
    assert "反映已答复" in page and "无法送达" in page and "对方拒收此类通知（43101）" in page
    assert "2026-06-02 07:30" in page and "23:30" not in page and "UTC" not in page
    assert "共2条" in page
    assert "赵远方" not in page and "清水村的任务" not in page and "oVil…0001" not in page  # other towns, no region


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("to=villagers", "已有答复", "年中自查"),
        ("to=staff", "年中自查", "已有答复"),
        ("status=unreachable", "已有答复", "年中自查"),
        ("status=sent&channel=custom", "年中自查", "已有答复"),
        ("status=no-such-status&to=nobody", "已有答复", None),  # unknown values: no filter
    ],
)
def test_the_log_is_filtered(client, pushes, query, shown, hidden) -> None:
    login(client, pushes)

    page = visible_text(client.get(f"/deadlines/pushes?{query}").get_data(as_text=True))

    assert shown in page
    assert hidden is None or hidden not in page


def test_the_log_is_paged_newest_first(client, session, pushes, county, clock) -> None:
    for number in range(60):
        push(session, f"urgent:{number}:1", f"oVillagerPaged{number:013d}", clock.now(), county.villages["竹林村"])
    session.flush()
    login(client, pushes)

    first = visible_text(client.get("/deadlines/pushes").get_data(as_text=True))
    second = visible_text(client.get("/deadlines/pushes?page=2").get_data(as_text=True))

    assert "共62条" in first and "第 1 / 2 页" in first and "oVil…0059" in first and "王村官" not in first
    assert "第 2 / 2 页" in second and "王村官" in second


def test_someone_who_refused_reminders_is_shown_on_the_log_and_the_overview(
    app_factory, session, county, build, clock
) -> None:
    clock.at = dt.datetime(2026, 6, 28, 1, 0, tzinfo=dt.UTC)
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="李镇长")
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="王村官")
    clerk.wechat_openid = "o_wang"
    record_consent(session, "o_wang", REMINDER_TEMPLATE, accepted=False, at=clock.now(), source=ConsentSource.POPUP)
    ensure_deadlines(session, county.district, 2026, clock.now())
    client = app_factory(WECHAT_REMINDER_TEMPLATE_ID=REMINDER_TEMPLATE).test_client()
    login(client, town)

    log = visible_text(client.get("/deadlines/pushes").get_data(as_text=True))
    overview = visible_text(client.get("/deadlines").get_data(as_text=True))

    assert "王村官 村干部" in log and "对方拒收此类通知" in log
    assert "无法送达：王村官（对方拒收此类通知）" in overview
    assert "无法送达：李镇长（未绑定微信）" in overview  # the town's own tasks: nobody bound


def test_the_jobs_page_shows_local_times_and_chinese_failures(client, login_as, session, county, build) -> None:
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    hold_lease(session, SCHEDULER_LEASE, "host-a:1:abc", LATE_EVENING_UTC, 300)
    record_run(
        session,
        "urgent",
        holder="host-a:1:abc",
        started=LATE_EVENING_UTC,
        finished=LATE_EVENING_UTC,
        next_run=LATE_EVENING_UTC + dt.timedelta(minutes=1),
        error="运行出错，详情已记入日志，下次运行时会再试。",
    )
    login_as(admin)

    page = visible_text(client.get("/deadlines/jobs").get_data(as_text=True))

    assert "2026-06-02 07:30" in page and "2026-06-02 07:31" in page and "2026-06-02 07:35" in page
    assert "UTC" not in page and "23:30" not in page
    assert "紧急事项推送" in page and "运行出错，详情已记入日志" in page
